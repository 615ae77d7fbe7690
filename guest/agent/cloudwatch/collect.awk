# One collection pass of the Stratus CloudWatch agent: reads the flattened configuration (the
# output of json.awk), collects the sections named in `due` from /proc, /sys/fs/cgroup and df,
# and prints PutMetricData form bodies (without Action/Version), one line per request of at most
# 500 datums. Counters that need two samples (cpu, diskio, net) keep the last sample in `statedir`.
# Variables (-v): due, statedir, now (epoch seconds), stamp (ISO 8601), host, iid, ami, itype, asg,
# hz (clock ticks a second, for procstat).
# Usage: awk -v ... -f collect.awk FLAT_CONFIG
BEGIN { FS = "\t" }
{ cfg[$1] = $3; typ[$1] = $2 }
END {
  split(due, d, " ")
  for (k in d) { if (d[k] != "") sect[d[k]] = 1 }
  nd = 0
  base = "metrics.metrics_collected."
  if ("mem" in sect) mem()
  if ("swap" in sect) swap()
  if ("cpu" in sect) cpu()
  if ("disk" in sect) disk()
  if ("diskio" in sect) diskio()
  if ("netstat" in sect) netstat()
  if ("net" in sect) net()
  if ("procstat" in sect) procstat()
  emit()
}

function num(path, dflt) { return (path in cfg && cfg[path] != "") ? cfg[path] + 0 : dflt }
function istrue(path, dflt) { return (path in cfg) ? cfg[path] == "true" : dflt }
function resources(section, list,   k, p, n) {
  # list["*"] when resources has "*"; returns the number of entries
  n = 0
  for (k = 0; (p = base section ".resources." k) in cfg; k++) { list[cfg[p]] = 1; n++ }
  return n
}
function readfile(f,   line, o) { o = ""; while ((getline line < f) > 0) o = o line "\n"; close(f); return o }
function first(f,   line) { line = ""; if ((getline line < f) <= 0) line = ""; close(f); return line }

# Wanted measurements of a section: want[name] = published name ("<section>_<name>" unless
# renamed); wunit[name] = unit from the configuration or "".
function wanted(section, want, wunit,   k, p, nm, pre) {
  pre = section "_"
  for (k = 0; (p = base section ".measurement." k) in cfg; k++) {
    if (typ[p] == "object") {
      nm = cfg[p ".name"]
      if (index(nm, pre) == 1) nm = substr(nm, length(pre) + 1)
      want[nm] = (p ".rename") in cfg ? cfg[p ".rename"] : pre nm
      wunit[nm] = (p ".unit") in cfg ? cfg[p ".unit"] : ""
    } else {
      nm = cfg[p]
      if (index(nm, pre) == 1) nm = substr(nm, length(pre) + 1)
      want[nm] = pre nm; wunit[nm] = ""
    }
  }
}

# A datum: published name, value, unit, plugin dimensions ("k=v" joined by SUBSEP).
function add(section, nm, value, unit, tags,   want, wunit) {
  delete want; delete wunit
  wanted(section, want, wunit)
  if (!(nm in want)) return
  nd++
  dname[nd] = want[nm]; dval[nd] = value; dunit[nd] = wunit[nm] != "" ? wunit[nm] : unit; dtags[nd] = tags
  dsect[nd] = section; dint[nd] = ""
}

function mem(   f, line, a, v, total, free, avail, buffers, cached, used, lim, cur, inact) {
  f = "/proc/meminfo"
  while ((getline line < f) > 0) { split(line, a, /[: ]+/); v[a[1]] = a[2] * 1024 }
  close(f)
  total = v["MemTotal"]; free = v["MemFree"]; avail = v["MemAvailable"]; buffers = v["Buffers"]
  cached = v["Cached"] + v["SReclaimable"]
  used = total - free - buffers - cached
  # A system container sees the host's /proc/meminfo: its memory is its cgroup's limit.
  lim = first("/sys/fs/cgroup/memory.max")
  if (lim ~ /^[0-9]+$/ && lim + 0 < total) {
    cur = first("/sys/fs/cgroup/memory.current") + 0
    f = "/sys/fs/cgroup/memory.stat"; inact = 0; cached = 0
    while ((getline line < f) > 0) { split(line, a, " "); if (a[1] == "inactive_file") inact = a[2]; if (a[1] == "file") cached = a[2] }
    close(f)
    total = lim + 0; used = cur - inact; if (used < 0) used = 0
    free = total - cur; if (free < 0) free = 0
    avail = total - used; buffers = 0
  }
  if (total <= 0) return
  add("mem", "total", total, "Bytes", ""); add("mem", "used", used, "Bytes", ""); add("mem", "free", free, "Bytes", "")
  add("mem", "available", avail, "Bytes", ""); add("mem", "buffered", buffers, "Bytes", ""); add("mem", "cached", cached, "Bytes", "")
  add("mem", "active", v["Active"], "Bytes", ""); add("mem", "inactive", v["Inactive"], "Bytes", "")
  add("mem", "used_percent", used * 100 / total, "Percent", ""); add("mem", "available_percent", avail * 100 / total, "Percent", "")
}

function swap(   f, line, a, v, total, free) {
  f = "/proc/meminfo"
  while ((getline line < f) > 0) { split(line, a, /[: ]+/); v[a[1]] = a[2] * 1024 }
  close(f)
  total = v["SwapTotal"]; free = v["SwapFree"]
  add("swap", "used", total - free, "Bytes", ""); add("swap", "free", free, "Bytes", "")
  add("swap", "used_percent", total > 0 ? (total - free) * 100 / total : 0, "Percent", "")
}

function cpu(   f, line, a, st, prev, name, tot, dt, k, total, percpu, res, fields, n, i, cg, ncpu, q) {
  st = statedir "/cpu"
  while ((getline line < st) > 0) { split(line, a, " "); prev[a[1]] = line }
  close(st)
  total = istrue(base "cpu.totalcpu", 1)
  resources("cpu", res); percpu = ("*" in res)
  printf "" > st
  # A system container's /proc/stat is the host's: its CPU is its cgroup's usage over its quota.
  q = first("/sys/fs/cgroup/cpu.max")
  if (q ~ /^[0-9]+ [0-9]+$/ && first("/sys/fs/cgroup/cpu.stat") != "") {
    split(q, a, " "); ncpu = a[1] / a[2]
    f = "/sys/fs/cgroup/cpu.stat"
    while ((getline line < f) > 0) { split(line, a, " "); cg[a[1]] = a[2] }
    close(f)
    line = "cgroup " now " " cg["user_usec"] + 0 " " cg["system_usec"] + 0
    print line > st
    if ("cgroup" in prev && total) {
      split(prev["cgroup"], a, " ")
      dt = (now - a[2]) * 1000000 * ncpu
      if (dt > 0) cpuadd("cpu-total", 100 * (cg["user_usec"] - a[3]) / dt, 100 * (cg["system_usec"] - a[4]) / dt)
    }
    close(st)
    return
  }
  f = "/proc/stat"
  while ((getline line < f) > 0) {
    n = split(line, a, " ")
    if (a[1] !~ /^cpu/) continue
    print line > st
    name = a[1] == "cpu" ? "cpu-total" : a[1]
    if (name == "cpu-total" && !total) continue
    if (name != "cpu-total" && !percpu) continue
    if (!(a[1] in prev)) continue
    split(prev[a[1]], fields, " ")
    # user nice system idle iowait irq softirq steal guest guest_nice
    tot = 0; for (i = 2; i <= 9; i++) tot += a[i] - fields[i]
    if (tot <= 0) continue
    add("cpu", "usage_user", 100 * ((a[2] - a[10]) - (fields[2] - fields[10])) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_nice", 100 * ((a[3] - a[11]) - (fields[3] - fields[11])) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_system", 100 * (a[4] - fields[4]) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_idle", 100 * (a[5] - fields[5]) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_iowait", 100 * (a[6] - fields[6]) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_irq", 100 * (a[7] - fields[7]) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_softirq", 100 * (a[8] - fields[8]) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_steal", 100 * (a[9] - fields[9]) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_guest", 100 * (a[10] - fields[10]) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_guest_nice", 100 * (a[11] - fields[11]) / tot, "Percent", "cpu=" name)
    add("cpu", "usage_active", 100 - 100 * ((a[5] - fields[5]) + (a[6] - fields[6])) / tot, "Percent", "cpu=" name)
  }
  close(f); close(st)
}
function cpuadd(name, user, sy,   busy) {
  if (user < 0) user = 0; if (sy < 0) sy = 0
  busy = user + sy; if (busy > 100) busy = 100
  add("cpu", "usage_user", user, "Percent", "cpu=" name); add("cpu", "usage_system", sy, "Percent", "cpu=" name)
  add("cpu", "usage_idle", 100 - busy, "Percent", "cpu=" name); add("cpu", "usage_active", busy, "Percent", "cpu=" name)
  add("cpu", "usage_iowait", 0, "Percent", "cpu=" name); add("cpu", "usage_nice", 0, "Percent", "cpu=" name)
  add("cpu", "usage_irq", 0, "Percent", "cpu=" name); add("cpu", "usage_softirq", 0, "Percent", "cpu=" name)
  add("cpu", "usage_steal", 0, "Percent", "cpu=" name); add("cpu", "usage_guest", 0, "Percent", "cpu=" name)
  add("cpu", "usage_guest_nice", 0, "Percent", "cpu=" name)
}

function pseudo(fs) {
  return fs ~ /^(proc|sysfs|devtmpfs|devpts|cgroup|cgroup2|mqueue|debugfs|securityfs|pstore|bpf|tracefs|autofs|binfmt_misc|hugetlbfs|configfs|fusectl|nsfs|rpc_pipefs|efivarfs|ramfs)$/
}
function disk(   f, line, a, res, all, ign, k, p, seen, cmd, b, dev, tags, used, avail, totalb, drop) {
  resources("disk", res); all = ("*" in res) || !((base "disk.resources.0") in cfg)
  for (k = 0; (p = base "disk.ignore_file_system_types." k) in cfg; k++) ign[cfg[p]] = 1
  drop = istrue(base "disk.drop_device", 0)
  f = "/proc/mounts"
  while ((getline line < f) > 0) {
    split(line, a, " ")
    gsub(/\\040/, " ", a[2])
    if (pseudo(a[3]) || (a[3] in ign) || (a[2] in seen)) continue
    if (!all && !(a[2] in res)) continue
    seen[a[2]] = 1
    cmd = "df -P -k '" a[2] "' 2>/dev/null"
    b[2] = ""
    while ((cmd | getline line) > 0) { if (line !~ /^Filesystem/) split(line, b, " ") }
    close(cmd)
    if (b[2] == "" || b[2] + 0 == 0) continue
    dev = a[1]; sub(/^\/dev\//, "", dev)
    tags = "path=" a[2] SUBSEP "fstype=" a[3]
    if (!drop) tags = tags SUBSEP "device=" dev
    used = b[3] * 1024; avail = b[4] * 1024; totalb = b[2] * 1024
    add("disk", "total", totalb, "Bytes", tags); add("disk", "used", used, "Bytes", tags); add("disk", "free", avail, "Bytes", tags)
    add("disk", "used_percent", (used + avail) > 0 ? used * 100 / (used + avail) : 0, "Percent", tags)
  }
  close(f)
}

function diskio(   f, line, a, st, prev, res, all, mounted, p, dev, x, n, vm) {
  resources("diskio", res); all = ("*" in res) || !((base "diskio.resources.0") in cfg)
  # Only devices that hold a mounted filesystem, or (in a virtual machine, where the root shows
  # as /dev/root) look like the instance's disks: a system container's /proc/diskstats lists the
  # host's devices, which are not the instance's.
  vm = first("/proc/2/comm") == "kthreadd"
  f = "/proc/mounts"
  while ((getline line < f) > 0) { split(line, a, " "); dev = a[1]; sub(/^\/dev\//, "", dev); mounted[dev] = 1 }
  close(f)
  st = statedir "/diskio"
  while ((getline line < st) > 0) { split(line, a, " "); prev[a[3]] = line }
  close(st)
  printf "" > st
  f = "/proc/diskstats"
  while ((getline line < f) > 0) {
    n = split(line, a, " ")
    dev = a[3]
    if (!(dev in mounted) && !(vm && dev ~ /^(vd|xvd|sd|nvme)/)) continue
    if (dev ~ /^(loop|ram)/) continue
    if (!all && !(dev in res)) continue
    print line > st
    if (!(dev in prev)) continue
    split(prev[dev], p, " ")
    add("diskio", "reads", a[4] - p[4], "Count", "name=" dev); add("diskio", "writes", a[8] - p[8], "Count", "name=" dev)
    add("diskio", "read_bytes", (a[6] - p[6]) * 512, "Bytes", "name=" dev); add("diskio", "write_bytes", (a[10] - p[10]) * 512, "Bytes", "name=" dev)
    add("diskio", "read_time", a[7] - p[7], "Milliseconds", "name=" dev); add("diskio", "write_time", a[11] - p[11], "Milliseconds", "name=" dev)
    add("diskio", "io_time", a[13] - p[13], "Milliseconds", "name=" dev); add("diskio", "iops_in_progress", a[12], "Count", "name=" dev)
  }
  close(f); close(st)
}

function netstat(   names, f, k, line, a, c, st, udp) {
  split("ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING", names, " ")
  for (k = 1; k <= 11; k++) c[k] = 0
  split("/proc/net/tcp /proc/net/tcp6", f, " ")
  for (k = 1; k <= 2; k++) {
    while ((getline line < f[k]) > 0) {
      split(line, a, " ")
      if (a[1] == "sl") continue
      st = index("0123456789ABCDEF", toupper(substr(a[4], 2, 1))) - 1 + 16 * (index("0123456789ABCDEF", toupper(substr(a[4], 1, 1))) - 1)
      if (st >= 1 && st <= 11) c[st]++
    }
    close(f[k])
  }
  for (k = 1; k <= 11; k++) add("netstat", "tcp_" tolower(names[k]), c[k], "Count", "")
  udp = 0
  split("/proc/net/udp /proc/net/udp6", f, " ")
  for (k = 1; k <= 2; k++) { while ((getline line < f[k]) > 0) if (line !~ /^ *sl/) udp++; close(f[k]) }
  add("netstat", "udp_socket", udp, "Count", "")
}

function net(   f, line, a, st, prev, res, all, dev, p, n) {
  resources("net", res); all = ("*" in res) || !((base "net.resources.0") in cfg)
  st = statedir "/net"
  while ((getline line < st) > 0) { split(line, a, " "); prev[a[1]] = line }
  close(st)
  printf "" > st
  f = "/proc/net/dev"
  while ((getline line < f) > 0) {
    if (line !~ /:/) continue
    sub(/:/, " ", line); n = split(line, a, " ")
    dev = a[1]
    if (dev == "lo" || (!all && !(dev in res))) continue
    print line > st
    if (!(dev in prev)) continue
    split(prev[dev], p, " ")
    add("net", "bytes_recv", a[2] - p[2], "Bytes", "interface=" dev); add("net", "packets_recv", a[3] - p[3], "Count", "interface=" dev)
    add("net", "err_in", a[4] - p[4], "Count", "interface=" dev); add("net", "drop_in", a[5] - p[5], "Count", "interface=" dev)
    add("net", "bytes_sent", a[10] - p[10], "Bytes", "interface=" dev); add("net", "packets_sent", a[11] - p[11], "Count", "interface=" dev)
    add("net", "err_out", a[12] - p[12], "Count", "interface=" dev); add("net", "drop_out", a[13] - p[13], "Count", "interface=" dev)
  }
  close(f); close(st)
}

# ---- procstat: per-process metrics of the processes an entry selects ---------------------------
# metrics.metrics_collected.procstat is an array of entries, each with one selector — pid_file (the
# process whose pid the file holds), exe (a regular expression matched against the process name)
# or pattern (against the whole command line); pid_file wins over exe, exe over pattern — and
# its measurements. Published as procstat_<measurement> with the selector's dimension (exe,
# pattern or pid_file: the configured value) and process_name, one datum per process (CloudWatch
# aggregates processes of the same name); pid_count as procstat_lookup_pid_count with the selector
# and pid_finder=native.
function ere(r) {
  gsub(/\\d/, "[0-9]", r); gsub(/\\s/, "[[:space:]]", r); gsub(/\\w/, "[A-Za-z0-9_]", r)
  return r
}
function pwanted(k, want, wunit,   j, p, nm) {
  for (j = 0; (p = base "procstat." k ".measurement." j) in cfg; j++) {
    if (typ[p] == "object") {
      nm = cfg[p ".name"]; sub(/^procstat_/, "", nm)
      want[nm] = (p ".rename") in cfg ? cfg[p ".rename"] : (nm == "pid_count" ? "procstat_lookup_pid_count" : "procstat_" nm)
      wunit[nm] = (p ".unit") in cfg ? cfg[p ".unit"] : ""
    } else {
      nm = cfg[p]; sub(/^procstat_/, "", nm); sub(/^lookup_/, "", nm)
      want[nm] = nm == "pid_count" ? "procstat_lookup_pid_count" : "procstat_" nm; wunit[nm] = ""
    }
  }
}
function padd(k, nm, value, unit, tags, interval,   want, wunit) {
  delete want; delete wunit
  pwanted(k, want, wunit)
  if (!(nm in want)) return
  nd++
  dname[nd] = want[nm]; dval[nd] = value; dunit[nd] = wunit[nm] != "" ? wunit[nm] : unit; dtags[nd] = tags
  dsect[nd] = "procstat"; dint[nd] = interval
}
function status(pid, v,   f, line, a) {
  f = "/proc/" pid "/status"
  while ((getline line < f) > 0) { split(line, a, /[: \t]+/); v[a[1]] = a[2] * (line ~ /kB$/ ? 1024 : 1) }
  close(f)
}
function procstat(   cmd, line, pids, np, i, k, p, sel, key, val, re, f, pid, name, args, want, wunit, needargs, match_, count,
                     tags, st, prev, a, stat, ticks, dt, v, io, fds, interval, usedpat, seen) {
  st = statedir "/procstat"
  while ((getline line < st) > 0) { split(line, a, " "); prev[a[1]] = a[2] " " a[3] }
  close(st)
  printf "" > st
  for (k = 0; (p = base "procstat." k) in cfg; k++) if ((p ".pattern") in cfg && !((p ".pid_file") in cfg) && !((p ".exe") in cfg)) usedpat = 1
  np = 0
  cmd = "ls /proc 2>/dev/null"
  while ((cmd | getline line) > 0) if (line ~ /^[0-9]+$/) pids[++np] = line
  close(cmd)
  for (i = 1; i <= np; i++) {
    pid = pids[i]
    name = first("/proc/" pid "/comm")
    if (name == "") continue
    pname[pid] = name
    if (usedpat) {
      cmd = "tr '\\000' ' ' < /proc/" pid "/cmdline 2>/dev/null"
      line = ""; cmd | getline line; close(cmd)
      sub(/ $/, "", line); pargs[pid] = line
    }
  }
  for (k = 0; (p = base "procstat." k) in cfg; k++) {
    interval = num(p ".metrics_collection_interval", num("agent.metrics_collection_interval", 60))
    if ((p ".pid_file") in cfg) { key = "pid_file"; val = cfg[p ".pid_file"] }
    else if ((p ".exe") in cfg) { key = "exe"; val = cfg[p ".exe"] }
    else if ((p ".pattern") in cfg) { key = "pattern"; val = cfg[p ".pattern"] }
    else continue
    re = ere(val); count = 0
    delete seen
    if (key == "pid_file") {
      pid = first(val); gsub(/[^0-9]/, "", pid)
      if (pid != "" && (pid in pname)) seen[pid] = 1
    } else {
      for (i = 1; i <= np; i++) {
        pid = pids[i]
        if (!(pid in pname)) continue
        if (key == "exe" && pname[pid] ~ re) seen[pid] = 1
        if (key == "pattern" && pargs[pid] ~ re) seen[pid] = 1
      }
    }
    for (pid in seen) {
      count++
      # /proc/<pid>/stat after the name: state ppid ... utime(14) stime(15) ... num_threads(20) starttime(22) vsize(23) rss(24)
      line = first("/proc/" pid "/stat"); sub(/^.*\) /, "", line); split(line, stat, " ")
      ticks = stat[12] + stat[13]
      print pid " " now " " ticks > st
      tags = key "=" val SUBSEP "process_name=" pname[pid]
      delete v; status(pid, v)
      if (pid in prev) {
        split(prev[pid], a, " "); dt = now - a[1]
        if (dt > 0) padd(k, "cpu_usage", 100 * (ticks - a[2]) / hz / dt, "Percent", tags, interval)
      }
      padd(k, "cpu_time_user", stat[12] / hz, "", tags, interval); padd(k, "cpu_time_system", stat[13] / hz, "", tags, interval)
      padd(k, "cpu_time", ticks / hz, "", tags, interval)
      padd(k, "memory_rss", v["VmRSS"] + 0, "Bytes", tags, interval); padd(k, "memory_vms", v["VmSize"] + 0, "Bytes", tags, interval)
      padd(k, "memory_data", v["VmData"] + 0, "Bytes", tags, interval); padd(k, "memory_stack", v["VmStk"] + 0, "Bytes", tags, interval)
      padd(k, "memory_locked", v["VmLck"] + 0, "Bytes", tags, interval); padd(k, "memory_swap", v["VmSwap"] + 0, "Bytes", tags, interval)
      padd(k, "num_threads", stat[18] + 0, "Count", tags, interval)
      padd(k, "pid", pid + 0, "", tags, interval); padd(k, "ppid", stat[2] + 0, "", tags, interval)
      padd(k, "voluntary_context_switches", v["voluntary_ctxt_switches"] + 0, "Count", tags, interval)
      padd(k, "involuntary_context_switches", v["nonvoluntary_ctxt_switches"] + 0, "Count", tags, interval)
      delete pwant; delete pwunit; pwanted(k, pwant, pwunit)
      if (("read_bytes" in pwant) || ("write_bytes" in pwant) || ("read_count" in pwant) || ("write_count" in pwant)) {
        delete io; f = "/proc/" pid "/io"
        while ((getline line < f) > 0) { split(line, a, /: */); io[a[1]] = a[2] }
        close(f)
        padd(k, "read_bytes", io["read_bytes"] + 0, "Bytes", tags, interval); padd(k, "write_bytes", io["write_bytes"] + 0, "Bytes", tags, interval)
        padd(k, "read_count", io["syscr"] + 0, "Count", tags, interval); padd(k, "write_count", io["syscw"] + 0, "Count", tags, interval)
      }
      if ("num_fds" in pwant) {
        cmd = "ls /proc/" pid "/fd 2>/dev/null | wc -l"; fds = 0; cmd | getline fds; close(cmd)
        padd(k, "num_fds", fds + 0, "Count", tags, interval)
      }
    }
    padd(k, "pid_count", count, "Count", key "=" val SUBSEP "pid_finder=native", interval)
  }
  close(st)
}

function enc(s,   o, k, c) {
  o = ""
  for (k = 1; k <= length(s); k++) {
    c = substr(s, k, 1)
    if (c ~ /[A-Za-z0-9_.~-]/) o = o c
    else o = o sprintf("%%%02X", ord(c))
  }
  return o
}
function ord(c,   k) {
  if (!ordinit) { for (k = 1; k < 256; k++) ordtab[sprintf("%c", k)] = k; ordinit = 1 }
  return (c in ordtab) ? ordtab[c] : 63
}
function subst(v) {
  if (v == "${aws:InstanceId}") return iid
  if (v == "${aws:ImageId}") return ami
  if (v == "${aws:InstanceType}") return itype
  if (v == "${aws:AutoScalingGroupName}") return asg
  return v
}

# Dimensions of datum i: host (unless omitted), the plugin's tags, the section's and the
# metrics section's append_dimensions; then one more datum per aggregation_dimensions set.
function emit(   i, k, p, key, n, ndims, dims, dk, dv, names, sets, s, j, t, ok, sub2, out, count, interval, res, line, m, seenset, tagl) {
  globalappend = 0
  for (p in cfg) if (index(p, "metrics.append_dimensions.") == 1) globalappend = 1
  count = 0; out = ""
  for (i = 1; i <= nd; i++) {
    delete dims
    if (!globalappend && !istrue("agent.omit_hostname", 0) && !istrue("metrics.omit_hostname", 0)) dims["host"] = host
    n = split(dtags[i], tagl, SUBSEP)
    for (k = 1; k <= n; k++) { j = index(tagl[k], "="); dims[substr(tagl[k], 1, j - 1)] = substr(tagl[k], j + 1) }
    for (p in cfg) {
      if (index(p, base dsect[i] ".append_dimensions.") == 1) { key = substr(p, length(base dsect[i] ".append_dimensions.") + 1); dims[key] = cfg[p] }
      if (index(p, "metrics.append_dimensions.") == 1) {
        key = substr(p, length("metrics.append_dimensions.") + 1)
        if (key ~ /^(InstanceId|ImageId|InstanceType|AutoScalingGroupName)$/) { dims[key] = subst(cfg[p]) }
      }
    }
    for (key in dims) if (dims[key] == "") delete dims[key]
    ndims = 0; for (key in dims) ndims++
    interval = dint[i] != "" ? dint[i] : num(base dsect[i] ".metrics_collection_interval", num("agent.metrics_collection_interval", 60))
    res = interval < 60 ? 1 : 60
    if (!istrue("metrics.aggregation_dimensions_only", 0)) { out = datum(out, ++count, i, dims, res) }
    delete seenset
    for (s = 0; (p = "metrics.aggregation_dimensions." s) in cfg; s++) {
      delete sub2; ok = 1; m = ""
      for (t = 0; (p "." t) in cfg; t++) {
        key = cfg[p "." t]
        if (!(key in dims)) { ok = 0; break }
        sub2[key] = dims[key]; m = m key ","
      }
      if (!ok || (m in seenset) || t == ndims) continue
      seenset[m] = 1
      out = datum(out, ++count, i, sub2, res)
      if (count >= 500) { print out; out = ""; count = 0 }
    }
    if (count >= 500) { print out; out = ""; count = 0 }
  }
  if (count > 0) print out
}
function datum(out, c, i, dims, res,   pre, k, key, v) {
  pre = "MetricData.member." c "."
  out = out (out == "" ? "" : "&") pre "MetricName=" enc(dname[i]) "&" pre "Timestamp=" enc(stamp)
  v = dval[i]
  v = (v == int(v)) ? sprintf("%d", v) : sprintf("%.6f", v)
  out = out "&" pre "Value=" v
  if (dunit[i] != "") out = out "&" pre "Unit=" enc(dunit[i])
  if (res == 1) out = out "&" pre "StorageResolution=1"
  k = 0
  for (key in dims) { k++; out = out "&" pre "Dimensions.member." k ".Name=" enc(key) "&" pre "Dimensions.member." k ".Value=" enc(dims[key]) }
  return out
}
