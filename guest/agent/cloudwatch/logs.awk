# Turns new lines of a log file into a PutLogEvents JSON body (CloudWatch Logs, json 1.1).
# Input: the file's new bytes (complete lines only). Variables: group, stream, ts (epoch ms).
# At most 10,000 events and about 1 MB per body (PutLogEvents' limits); messages over 256 KB are
# cut. Empty lines are skipped (CloudWatch Logs refuses empty messages). Prints nothing when there
# is no event. Runs under busybox awk, mawk and gawk.
function esc(s) {
  gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, "\\t", s); gsub(/\r/, "", s)
  gsub(/[\001-\010\013\014\016-\037]/, "", s)
  return s
}
BEGIN { n = 0; size = 0; body = "" }
{
  if ($0 == "" || n >= 10000) next
  m = substr($0, 1, 262118)
  if (size + length(m) + 26 > 1000000) next
  size += length(m) + 26
  body = body (n ? "," : "") "{\"timestamp\":" ts ",\"message\":\"" esc(m) "\"}"
  n++
}
END {
  if (n == 0) exit 0
  printf "{\"logGroupName\":\"%s\",\"logStreamName\":\"%s\",\"logEvents\":[%s]}", esc(group), esc(stream), body
}
