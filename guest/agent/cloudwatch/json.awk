# JSON to lines "path<TAB>type<TAB>value" (type: object, array, string, number, bool, null).
# Paths join object keys and array indexes (from 0) with '.'; the root's path is empty.
# Runs under busybox awk and gawk. Exit status 1 (and a message on stderr) on malformed JSON.
# Usage: awk -f json.awk FILE
BEGIN { RS = "\001"; s = "" }
{ s = s $0 }
END {
  n = length(s); i = 1; bad = 0
  value("")
  if (!bad) { ws(); if (i <= n) fail("unexpected text after the document") }
  exit bad
}
function fail(msg) {
  if (!bad) printf "json: %s at offset %d\n", msg, i > "/dev/stderr"
  bad = 1; i = n + 1
}
function ws() { while (i <= n && index(" \t\r\n", substr(s, i, 1)) > 0) i++ }
function out(path, type, v) { gsub(/[\t\n\r]/, " ", v); print path "\t" type "\t" v }
function str(   c, o, h) {
  i++; o = ""
  while (i <= n) {
    c = substr(s, i, 1)
    if (c == "\"") { i++; return o }
    if (c == "\\") {
      i++; c = substr(s, i, 1)
      if (c == "n") o = o "\n"
      else if (c == "t") o = o "\t"
      else if (c == "r") o = o "\r"
      else if (c == "b" || c == "f") o = o " "
      else if (c == "u") { h = substr(s, i + 1, 4); i += 4; o = o ((h ~ /^00[2-7][0-9A-Fa-f]$/) ? sprintf("%c", hexval(substr(h, 3, 2))) : "?") }
      else o = o c
      i++; continue
    }
    o = o c; i++
  }
  fail("unterminated string"); return o
}
function hexval(h,   k, v) { v = 0; h = tolower(h); for (k = 1; k <= length(h); k++) v = v * 16 + index("0123456789abcdef", substr(h, k, 1)) - 1; return v }
function join(path, k) { return path == "" ? k : path "." k }
function value(path,   c, k, idx, rest) {
  ws()
  if (bad) return
  if (i > n) { fail("unexpected end"); return }
  c = substr(s, i, 1)
  if (c == "{") {
    out(path, "object", ""); i++; ws()
    if (substr(s, i, 1) == "}") { i++; return }
    while (!bad) {
      ws()
      if (substr(s, i, 1) != "\"") { fail("expected a key"); return }
      k = str(); ws()
      if (substr(s, i, 1) != ":") { fail("expected ':'"); return }
      i++
      value(join(path, k)); ws()
      c = substr(s, i, 1); i++
      if (c == "}") return
      if (c != ",") { i--; fail("expected ',' or '}'"); return }
    }
    return
  }
  if (c == "[") {
    out(path, "array", ""); i++; ws(); idx = 0
    if (substr(s, i, 1) == "]") { i++; return }
    while (!bad) {
      value(join(path, idx)); idx++; ws()
      c = substr(s, i, 1); i++
      if (c == "]") return
      if (c != ",") { i--; fail("expected ',' or ']'"); return }
    }
    return
  }
  if (c == "\"") { k = str(); if (!bad) out(path, "string", k); return }
  rest = substr(s, i, 64)
  if (match(rest, /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) { out(path, "number", substr(rest, 1, RLENGTH)); i += RLENGTH; return }
  if (substr(rest, 1, 4) == "true") { out(path, "bool", "true"); i += 4; return }
  if (substr(rest, 1, 5) == "false") { out(path, "bool", "false"); i += 5; return }
  if (substr(rest, 1, 4) == "null") { out(path, "null", ""); i += 4; return }
  fail("unexpected character '" c "'")
}
