# Turns new lines of a log file into PutLogEvents JSON bodies (CloudWatch Logs, json 1.1), one
# body per output line. Input: the file's new bytes (complete lines only).
# Variables (-v):
#   group, stream   log group and stream
#   ts              the time read (epoch ms): the timestamp of events without one of their own
#   tsfmt           the entry's timestamp_format (the real agent's strftime-like tokens), or ""
#   tzoff           seconds east of UTC for timestamps without %z (0 for "timezone": "UTC")
#   nowyear         the current year, for formats without %Y/%y
#   flushall        1: the last multi-line event is complete (the file did not grow since the last
#                   pass); 0: it is held back, as more of its lines may follow
#   consumed        a file: the number of input bytes the bodies account for is written to it
# Environment (not -v, which would interpret the backslashes of regular expressions):
#   CW_MULTI        multi_line_start_pattern ("{timestamp_format}": the timestamp's pattern), or ""
#   CW_INCLUDE, CW_EXCLUDE  the entry's filters (regular expressions), one a line
# Lines whose timestamp_format matches carry that time (to the millisecond with %f). Events are
# sorted by time within a body; a body holds at most 10,000 events, about 1 MB and 24 hours
# (PutLogEvents' limits); messages over 256 KB are cut. Empty events are skipped (CloudWatch Logs
# refuses empty messages). Runs under busybox awk, mawk and gawk (no interval expressions).
function esc(s) {
  gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, "\\t", s); gsub(/\r/, "", s); gsub(/\n/, "\\n", s)
  gsub(/[\001-\010\013\014\016-\037]/, "", s)
  return s
}
# Go/RE2 shorthands the configurations use, as POSIX classes.
function ere(r) {
  gsub(/\\d/, "[0-9]", r); gsub(/\\s/, "[[:space:]]", r); gsub(/\\w/, "[A-Za-z0-9_]", r)
  gsub(/\\D/, "[^0-9]", r); gsub(/\\S/, "[^[:space:]]", r); gsub(/\\W/, "[^A-Za-z0-9_]", r)
  return r
}
function tokre(t) {
  if (t == "%B" || t == "%A" || t == "%Z") return "[A-Za-z]+"
  if (t == "%b" || t == "%a") return "[A-Za-z][A-Za-z][A-Za-z]"
  if (t == "%-m" || t == "%-d") return " ?[0-9][0-9]?"
  if (t == "%-I" || t == "%-M" || t == "%-S" || t == "%-H") return "[0-9][0-9]?"
  if (t == "%m" || t == "%d" || t == "%H" || t == "%I" || t == "%M" || t == "%S" || t == "%y") return "[0-9][0-9]"
  if (t == "%Y") return "[0-9][0-9][0-9][0-9]"
  if (t == "%p") return "[AaPp][Mm]"
  if (t == "%z") return "[-+][0-9][0-9][0-9][0-9]"
  if (t == "%f") return "[0-9]+"
  return ""
}
function litre(c) {
  if (c ~ /[A-Za-z0-9 ]/) return c
  if (c == "^") return "\\^"
  if (c == "\\") return "\\\\"
  return "[" c "]"
}
# timestamp_format -> ntok tokens (tok[i]: "%X" or one literal character) and the regex tsre.
function tsinit(fmt,   i, c, t, r) {
  ntok = 0; tsre = ""
  for (i = 1; i <= length(fmt); i++) {
    c = substr(fmt, i, 1)
    if (c == "%") {
      t = substr(fmt, i, 2)
      if (t == "%-") t = substr(fmt, i, 3)
      r = tokre(t)
      if (r != "") {
        if (ntok == 0 && (t == "%-m" || t == "%-d")) r = "[0-9][0-9]?"
        tok[++ntok] = t; tsre = tsre r; i += length(t) - 1; continue
      }
    }
    tok[++ntok] = c; tsre = tsre litre(c)
  }
}
function month(s,   k) { k = index("janfebmaraprmayjunjulaugsepoctnovdec", tolower(substr(s, 1, 3))); return k ? (k + 2) / 3 : 0 }
function days(y, m, d,   era, yoe, doy) { # days since 1970-01-01 of a proleptic Gregorian date
  if (m <= 2) y--
  era = int(y / 400); yoe = y - era * 400
  doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468
}
# The epoch milliseconds of the line's timestamp, or -1 when it has none.
function stamp(line,   s, i, t, v, y, mo, d, h, mi, sec, ms, pm, off, haveyear, r) {
  if (!match(line, tsre)) return -1
  s = substr(line, RSTART, RLENGTH)
  y = nowyear; mo = 1; d = 1; h = 0; mi = 0; sec = 0; ms = 0; pm = -1; off = tzoff; haveyear = 0
  for (i = 1; i <= ntok; i++) {
    t = tok[i]
    if (length(t) == 1) { s = substr(s, 2); continue }
    if (!match(s, "^" tokre(t))) return -1
    v = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
    gsub(/ /, "", v)
    if (t == "%Y") { y = v + 0; haveyear = 1 }
    else if (t == "%y") { y = v + 0; y += y >= 69 ? 1900 : 2000; haveyear = 1 }
    else if (t == "%b" || t == "%B") { mo = month(v); if (!mo) return -1 }
    else if (t == "%m" || t == "%-m") mo = v + 0
    else if (t == "%d" || t == "%-d") d = v + 0
    else if (t == "%H" || t == "%-H" || t == "%I" || t == "%-I") h = v + 0
    else if (t == "%M" || t == "%-M") mi = v + 0
    else if (t == "%S" || t == "%-S") sec = v + 0
    else if (t == "%f") ms = substr(v "000", 1, 3) + 0
    else if (t == "%p") pm = tolower(v) == "pm"
    else if (t == "%z") off = (substr(v, 1, 1) == "-" ? -1 : 1) * (substr(v, 2, 2) * 3600 + substr(v, 4, 2) * 60)
    else if (t == "%Z") { if (v ~ /^(UTC|GMT|Z)$/) off = 0 }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1
  if (pm >= 0) { h = h % 12; if (pm) h += 12 }
  r = ((days(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec - off
  # Without a year: this year, unless that is over 30 days ahead (then last year), as the real agent.
  if (!haveyear && r * 1000 - ts > 30 * 86400000) r = ((days(y - 1, mo, d) * 24 + h) * 60 + mi) * 60 + sec - off
  return r * 1000 + ms
}
function keep(m,   k) {
  for (k = 1; k <= ninc; k++) if (inc[k] != "" && m !~ inc[k]) return 0
  for (k = 1; k <= nexc; k++) if (exc[k] != "" && m ~ exc[k]) return 0
  return 1
}
function event(m, t) {
  if (m == "" || !keep(m)) return
  n++; msg[n] = substr(m, 1, 262118); tim[n] = t
}
BEGIN {
  n = 0; cur = ""; curt = 0; have = 0; bytes = 0; held = 0
  multi = ENVIRON["CW_MULTI"]; include = ENVIRON["CW_INCLUDE"]; exclude = ENVIRON["CW_EXCLUDE"]
  if (tsfmt != "") tsinit(tsfmt)
  if (multi == "{timestamp_format}") multi = tsfmt != "" ? tsre : ""
  else multi = ere(multi)
  ninc = split(include, inc, "\n"); nexc = split(exclude, exc, "\n")
  for (k = 1; k <= ninc; k++) inc[k] = ere(inc[k])
  for (k = 1; k <= nexc; k++) exc[k] = ere(exc[k])
}
{
  t = tsfmt != "" ? stamp($0) : -1
  if (multi == "") { event($0, t >= 0 ? t : ts); bytes += length($0) + 1; next }
  # Multi-line: a line matching the start pattern starts an event, others continue the current one.
  if ($0 ~ multi || !have) {
    if (have) { event(cur, curt); bytes += held }
    cur = $0; curt = t >= 0 ? t : ts; have = 1; held = length($0) + 1
  } else {
    cur = cur "\n" $0; held += length($0) + 1
  }
}
END {
  if (have && flushall) { event(cur, curt); bytes += held }
  printf "%d\n", bytes > consumed
  if (n == 0) exit 0
  # Stable insertion sort by time (lines are nearly always in order already).
  for (i = 2; i <= n; i++) {
    m = msg[i]; t = tim[i]
    for (j = i - 1; j >= 1 && tim[j] > t; j--) { msg[j + 1] = msg[j]; tim[j + 1] = tim[j] }
    msg[j + 1] = m; tim[j + 1] = t
  }
  head = "{\"logGroupName\":\"" esc(group) "\",\"logStreamName\":\"" esc(stream) "\",\"logEvents\":["
  body = ""; count = 0; size = 0; first = 0
  for (i = 1; i <= n; i++) {
    e = "{\"timestamp\":" sprintf("%.0f", tim[i]) ",\"message\":\"" esc(msg[i]) "\"}"
    if (count > 0 && (count >= 10000 || size + length(msg[i]) + 26 > 1000000 || tim[i] - first >= 86400000)) {
      print head body "]}"; body = ""; count = 0; size = 0
    }
    if (count == 0) first = tim[i]
    body = body (count ? "," : "") e; count++; size += length(msg[i]) + 26
  }
  if (count > 0) print head body "]}"
}
