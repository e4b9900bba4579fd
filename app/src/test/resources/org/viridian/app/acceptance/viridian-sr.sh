# StockLinuxSaveRestoreIT's Viridian half, run in the nested host (busybox sh, in /opt/files).
# Two services on loopback: the first runs, saves, resumes and moves the guest; the second receives it.
ip link set lo up
A1=http://127.0.0.1:7481/api/v1
A2=http://127.0.0.1:7482/api/v1
p() { echo "SR-HOST: $*" | tee /dev/console; }
# Busybox's date has no %N: time in centiseconds from /proc/uptime; ms T0 gives the milliseconds since T0 (loops
# below count with i, never T0: sh variables are global).
now() { cut -d' ' -f1 /proc/uptime | tr -d .; }
ms() { echo $((($(now) - $1) * 10)); }
# w API TEXT: waits (up to ~8 min) for TEXT on the guest's console, read over REST with busybox wget (a CLI call would
# start a JVM each time, under TCG); gives up at once when the VM is off or crashed, and shows why.
w() {
  for i in $(seq 1 240); do
    wget -qO- "$1/vms/linux/console" 2>/dev/null | grep -q "$2" && return 0
    wget -qO- "$1/vms/linux" 2>/dev/null | grep -Eq '"state" *: *"(off|crashed)"' && break
    sleep 2
  done
  p "gave up waiting for '$2'"
  wget -qO- "$1/vms/linux" | head -c 3000; echo
  wget -qO- "$1/vms/linux/console" | tail -n 40 | sed 's/^/SR-CONSOLE: /'
  tail -n 30 serve1.log serve2.log /tmp/sr*/run/*/worker.log 2>/dev/null
  return 1
}
# job URL BODY: POSTs an operation (the REST API answers with its job) and waits for the job to end; prints its message.
# Through REST rather than the CLI so that the times are the operation's, not a CLI JVM's start under TCG.
job() {
  id=$(wget -qO- --header 'Content-Type: application/json' --post-data "$2" "$1" | grep -o '"id" *: *"[^"]*"' | head -1 \
    | sed 's/.*"\([^"]*\)"$/\1/')
  [ -n "$id" ] || { p "no job from $1"; return 1; }
  base=${1%%/vms/*}
  for i in $(seq 1 3000); do
    j=$(wget -qO- "$base/jobs/$id")
    echo "$j" | grep -Eq '"status" *: *"(succeeded|failed)"' && break
    sleep 0.2
  done
  p "job: $(echo "$j" | grep -o '"message" *: *"[^"]*"')"
  echo "$j" | grep -Eq '"status" *: *"succeeded"'
}
# The workers' own account of each save and restore (phases), from their logs.
phases() {
  grep -h "restored from\|saved to\|standby:\|worker start:\|worker serving:" /tmp/sr*/run/*/worker.log /tmp/sr*/run/*.last-worker.log 2>/dev/null | sed 's/^/SR-HOST: worker: /'
  grep -h "answered .* after its launch" serve1.log serve2.log 2>/dev/null | sed 's/^/SR-HOST: service: /'
}
up() {
  for i in $(seq 1 300); do wget -qO- "$1/vms" >/dev/null 2>&1 && return 0; sleep 1; done
  p "service $1 never answered"; tail -n 30 serve1.log serve2.log; return 1
}
finish() { kill $S1 $S2 2>/dev/null; wait; exit "$1"; }

mkdir -p /tmp/shared
viridian vhd create /tmp/shared/disk.vhdx --size 64M >/dev/null
viridian serve --state-dir /tmp/sr1 --listen 127.0.0.1:7481 > serve1.log 2>&1 & S1=$!
viridian serve --state-dir /tmp/sr2 --listen 127.0.0.1:7482 > serve2.log 2>&1 & S2=$!
up $A1 && up $A2 || finish 1
p "services up"
export VIRIDIAN_URL=http://127.0.0.1:7481
viridian vm create linux --kernel $PWD/vmlinuz --initrd $PWD/sr-initrd.gz --memory 512M --cpus 1 \
  --disk /tmp/shared/disk.vhdx --cmdline 'console=ttyS0 quiet panic=-1 reboot=k' | sed 's/^/SR-HOST: /'
viridian vm start linux | sed 's/^/SR-HOST: /'
p started
w $A1 'SR: loop 8 ' || finish 1

T0=$(now); job $A1/vms/linux/save '{}'; rc=$?; p "save rc=$rc save ms=$(ms $T0)"; phases
p "state $(viridian vm show linux | grep state: | tr -s ' ' | cut -d' ' -f2)"
p "state file bytes=$(stat -c %s /tmp/sr1/vms/*/saved-state.vmrs)"
sleep 5
T0=$(now); job $A1/vms/linux/start '{}'; rc=$?; p "start rc=$rc start ms=$(ms $T0)"; phases
# Moved at once: the guest's loop has ~50 s of its own time left to run on the destination.
wget -qO- $A1/vms/linux/console | sed 's/^/SR-SOURCE: /'
T0=$(now); job $A1/vms/linux/move '{"destination":"http://127.0.0.1:7482"}'; rc=$?
p "move rc=$rc move ms=$(ms $T0)"; phases
viridian vm list | sed 's/^/SR-HOST: source: /'
export VIRIDIAN_URL=http://127.0.0.1:7482
viridian vm list | sed 's/^/SR-HOST: destination: /'
w $A2 'SR: verified' || finish 1
sleep 6
# The guest's integration state as the destination's service reports it: heartbeat answered or not, and KVP's
# answers (asked again when older than 30 s), looked at until KVP has answered (or ~40 s).
for t in $(seq 1 20); do
  g=$(wget -qO- $A2/vms/linux | grep -o '"guest" *: *{[^}]*}')
  echo "$g" | grep -q '"kvp" *: *"ok"' && break
  sleep 2
done
p "guest $g"
# The host's clock as soon as the guest's last line is seen (polled every 2 s): the guest's own clock in that line must
# be the host's, give or take the poll, after the time sync that follows each restore.
w $A2 'SR: final'
p "host clock=$(date -u +%s)"
wget -qO- $A2/vms/linux/console | sed 's/^/SR-DEST: /'
tail -n 5 /tmp/sr*/run/*/worker.log 2>/dev/null
finish 0
