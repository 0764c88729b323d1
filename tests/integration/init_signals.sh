#!/usr/bin/env bash
# Signal forwarding, as PID 1 and as a subreaper: every catchable signal reaches the
# child (SEGV/ILL/ABRT/BUS/FPE sent to the init included: forwarded, not fatal), -g
# reaches the whole group, -r rewrites, a signal sent while the child starts is not
# lost, and the child starts with exactly the mask and ignored set the init was given.
source "$(dirname "$0")/../helpers/init_test_lib.bash"

# Every catchable signal but the three that stop the init (HUP, INT, TERM; sent last) and
# SIGCHLD (the init's own). Names as the child records them (sigabbrev_np).
SIGNALS=(QUIT ILL TRAP ABRT BUS FPE USR1 SEGV USR2 PIPE ALRM STKFLT CONT TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS)
RT_SIGNALS=(34 40 50 64)

for mode in pid1 subreaper; do
  rec="$WORK/$mode.signals"
  start_init "$mode" "$WORK/out" --no-sync --health-port 0 -- "$CHILD" record "$rec"
  wait_until 5 file_has "$rec" ready || fail "$mode: child not ready"
  for s in "${SIGNALS[@]}"; do
    kill -s "$s" "$INIT_PID"
    seen=$s; [ "$s" = IO ] && seen=POLL  # glibc's abbreviation for SIGIO
    wait_until 5 file_has "$rec" "$seen" || { cat "$rec" >&2; fail "$mode: SIG$s sent to the init did not reach the child"; }
  done
  for n in "${RT_SIGNALS[@]}"; do
    kill -s "$n" "$INIT_PID"
    wait_until 5 file_has "$rec" "SIG$n" || fail "$mode: real-time signal $n did not reach the child"
  done
  kill -0 "$INIT_PID" || fail "$mode: the init died from a forwarded signal"
  kill -s HUP "$INIT_PID"
  wait_until 5 file_has "$rec" HUP || fail "$mode: SIGHUP not forwarded"
  kill -s INT "$INIT_PID"
  wait_until 5 file_has "$rec" INT || fail "$mode: SIGINT not forwarded"
  kill -s TERM "$INIT_PID"
  wait_exit 10
  file_has "$rec" TERM || fail "$mode: SIGTERM not forwarded"
  [ "$EXIT_CODE" = 0 ] || fail "$mode: exit code $EXIT_CODE after the child exited 0 on SIGTERM"
  pass "$mode: ${SIGNALS[*]} HUP INT TERM and real-time ${RT_SIGNALS[*]} all forwarded; init survived SEGV/ILL/ABRT/BUS/FPE"

  # -g: the whole process group gets it; without -g only the child.
  for g in with without; do
    flag=(); [ "$g" = with ] && flag=(-g)
    grp="$WORK/$mode.$g.group"
    start_init "$mode" "$WORK/out" --no-sync --health-port 0 "${flag[@]}" -- \
      sh -c "'$CHILD' group '$grp' 2 >/dev/null; exec '$CHILD' record '$grp.main'"
    wait_until 5 file_has "$grp.main" ready || fail "$mode: group leader not ready"
    kill -s USR1 "$INIT_PID"
    wait_until 5 file_has "$grp.main" USR1 || fail "$mode: USR1 did not reach the child ($g -g)"
    if [ "$g" = with ]; then
      wait_until 5 file_has "$grp.0" USR1 && wait_until 5 file_has "$grp.1" USR1 || fail "$mode: -g did not reach the group"
    else
      # Give a wrongly sent group signal the same time to show up before concluding.
      kill -s USR2 "$INIT_PID"; wait_until 5 file_has "$grp.main" USR2
      ! file_has "$grp.0" USR1 || fail "$mode: without -g the signal reached the group"
    fi
    kill -s TERM "$INIT_PID"
    wait_exit 10
  done
  pass "$mode: -g forwards to the child's process group, and only with -g"

  # -r TERM:INT — dumb-init's rewriting; and -r USR1:0 drops USR1.
  rw="$WORK/$mode.rewrite"
  start_init "$mode" "$WORK/out" --no-sync --health-port 0 -r TERM:INT -r USR1:0 -- "$CHILD" record "$rw" --exit-on INT
  wait_until 5 file_has "$rw" ready || fail "$mode: rewrite child not ready"
  kill -s USR1 "$INIT_PID"
  kill -s USR2 "$INIT_PID"
  wait_until 5 file_has "$rw" USR2 || fail "$mode: USR2 not forwarded"
  ! file_has "$rw" USR1 || fail "$mode: -r USR1:0 did not drop USR1"
  kill -s TERM "$INIT_PID"
  wait_exit 10
  file_has "$rw" INT && ! file_has "$rw" TERM || { cat "$rw" >&2; fail "$mode: -r TERM:INT did not rewrite"; }
  [ "$EXIT_CODE" = 0 ] || fail "$mode: rewrite run exit $EXIT_CODE"
  pass "$mode: -r TERM:INT rewrites, -r USR1:0 drops"
done

# A signal sent while the child is starting is not lost. The init is given USR1 blocked
# (the child inherits the mask, so the signal waits, pending, until the child has its
# handler and unblocks it) and is signalled as soon as it exists.
python3 - "$INIT" "$CHILD" "$WORK/early" <<'PY' || fail "a signal sent during the child's start was lost"
import os, signal, subprocess, sys, time
init, child, rec = sys.argv[1:]
def block():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
p = subprocess.Popen([init, "--no-sync", "--health-port", "0", "--", child, "record", rec], preexec_fn=block)
os.kill(p.pid, signal.SIGUSR1)          # before the child can possibly exist
deadline = time.time() + 5
while time.time() < deadline:
    try:
        if "USR1" in open(rec).read().split():
            break
    except FileNotFoundError:
        pass
    time.sleep(0.02)
else:
    p.kill(); sys.exit(1)
os.kill(p.pid, signal.SIGTERM)
sys.exit(0 if p.wait(10) == 0 else 1)
PY
pass "a signal sent at once is delivered once the child can take it"

# The child starts with exactly the mask and ignored set the init was given; compared
# with the same child run directly under the same mask and ignores.
python3 - "$INIT" "$CHILD" <<'PY' || fail "the child's signal mask or ignored set differs from the init's"
import signal, subprocess, sys
init, child = sys.argv[1:]
def setup():
    signal.pthread_sigmask(signal.SIG_SETMASK, {signal.SIGUSR2, signal.SIGTSTP, signal.SIGTTIN})
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
direct = subprocess.run([child, "mask"], preexec_fn=setup, capture_output=True, text=True).stdout
via = subprocess.run([init, "--no-sync", "--health-port", "0", "--", child, "mask"], preexec_fn=setup,
                     capture_output=True, text=True).stdout
plain = subprocess.run([init, "--no-sync", "--health-port", "0", "--", child, "mask"], capture_output=True, text=True).stdout
bare = subprocess.run([child, "mask"], capture_output=True, text=True).stdout
print("direct:", direct.split(), "\nvia init:", via.split(), "\nplain:", plain.split(), "\nbare:", bare.split())
# plain == bare: the init ignores nothing of its own that a child could inherit.
ok = direct == via and "SigBlk:" in via and via != plain and plain == bare
sys.exit(0 if ok else 1)
PY
pass "inherited mask (USR2 TSTP TTIN) and ignores (PIPE HUP) reach the child unchanged"
# The probe too: with the health endpoint up (its server ignores SIGPIPE inside the init),
# the probe's `/bin/sh -c` gets the mask and ignores the init was given, no more — glibc's
# internal signals 32 and 33 included; compared with the same shell command run directly
# (the shell itself clears the mask).
python3 - "$INIT" "$CHILD" "$WORK/probe-mask" "$(free_port)" <<'PY' || fail "the probe's signal mask or ignored set differs from the init's"
import ctypes, os, signal, subprocess, sys, time
init, child, out, port = sys.argv[1:]
libc = ctypes.CDLL(None, use_errno=True)
class KernelSigaction(ctypes.Structure):
    _fields_ = [("handler", ctypes.c_void_p), ("flags", ctypes.c_ulong), ("restorer", ctypes.c_void_p), ("mask", ctypes.c_uint64)]
def setup():
    signal.pthread_sigmask(signal.SIG_SETMASK, {signal.SIGUSR2, signal.SIGTTIN})
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # glibc's two internal signals ignored, as a posix_spawn()ed parent hands them down
    # (glibc's sigaction() refuses them: the raw system call, 13 = rt_sigaction).
    for sig in (32, 33):
        libc.syscall(13, sig, ctypes.byref(KernelSigaction(1, 0, None, 0)), None, 8)
direct = subprocess.run(["/bin/sh", "-c", child + " mask"], preexec_fn=setup, capture_output=True, text=True).stdout
probe = "%s mask > %s.tmp && mv %s.tmp %s" % (child, out, out, out)
p = subprocess.Popen([init, "--no-sync", "--health-port", port, "--probe-cmd", probe, "--probe-interval", "300ms",
                      "--probe-timeout", "250ms", "--", child, "sleep", "30"], preexec_fn=setup)
deadline = time.time() + 10
while not os.path.exists(out) and time.time() < deadline: time.sleep(0.05)
p.send_signal(signal.SIGTERM); p.wait(10)
got = open(out).read() if os.path.exists(out) else ""
print("direct:", direct.split(), "\nprobe:", got.split())
sys.exit(0 if got and got == direct and "SigIgn:\t0000000180000001" in got else 1)
PY
pass "the probe starts as a direct run would, ignoring HUP as given and not PIPE, which the endpoint ignores"
echo "init_signals: all passed"
