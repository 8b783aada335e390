"""Drives the native taskbound-tty relay on a pty of its own (TerminalRelayNativeTest).

relay_probe.py EXE stuck-writer: nobody reads the relay's output, the agent fills its pty, run says
  "end" (the relay blocks writing what is left), then SIGTERM: prints "ended SIGNAL" or "still running".
relay_probe.py EXE replies: while a prompt shows, the terminal sends query replies with y and Enter,
  and the code inside escape sequences; prints "answered-early" if any reply answered, then types the
  code shown and Enter and prints the relay's reply.
relay_probe.py EXE paste-under-output: the person pastes far more than the agent's pty takes while the
  agent writes without reading its keys; prints "flowing" if the agent's output still reaches the run
  (else "stalled after N bytes"), then, once the agent reads, "keys ok" if it got the whole paste in
  order (else what it got).
relay_probe.py EXE ask-while-pending: a paste the agent has not read when a prompt comes: prints "clean
  cut" if the prompt says keys were discarded and the agent, once it reads, gets a head of the paste
  followed by what is typed after the answer, nothing of the paste's rest (else what it got).
Every wait is bounded.
"""
import os, pty, re, select, signal, subprocess, sys, time, tty

exe, mode = sys.argv[1], sys.argv[2]
leader, follower = pty.openpty()
p = subprocess.Popen([exe, "relay", os.ttyname(follower)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
agent_pty = p.stderr.readline().decode().split()[1]
p.stdin.write(b"go\n")
p.stdin.flush()
PASTE = b"".join(b"%06d," % i for i in range(10000))  # 70 kB: far more than a pty's input queue
PROMPT = b"line approval-1 waits for approval: github.pr.merge 'refs/pull/7'\nask\n"


def raw_agent():
    """The agent's end of its pty, non-blocking; it reads bytes as typed: no line editing, no echo."""
    agent = os.open(agent_pty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(agent)
    return agent


if mode == "stuck-writer":
    agent = os.open(agent_pty, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    written = stalled = 0
    for _ in range(2000):  # until the pty and the relay's stdout pipe are full (bounded: at most ~20 s)
        try:
            written += os.write(agent, b"x" * 4096)
            stalled = 0
        except BlockingIOError:
            stalled += 1
            if stalled >= 50:  # half a second without room: the relay no longer drains the pty
                break
            time.sleep(0.01)
    p.stdin.write(b"end\n")
    p.stdin.flush()
    # the relay now waits to write to its stdout, which nobody reads
    deadline = time.time() + 5
    while time.time() < deadline and p.poll() is None:
        time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
        print("ended", -p.returncode)
    except subprocess.TimeoutExpired:
        print("still running")
        p.kill()
        p.wait()
    sys.exit(0)

if mode == "paste-under-output":
    agent = raw_agent()
    os.set_blocking(leader, False)
    os.set_blocking(p.stdout.fileno(), False)
    paste = PASTE
    pasted = forwarded = 0

    def step(read_keys):
        global pasted, forwarded
        if pasted < len(paste):
            try:
                pasted += os.write(leader, paste[pasted:pasted + 4096])
            except BlockingIOError:
                pass
        try:
            os.write(agent, b"o" * 4096)
        except BlockingIOError:
            pass
        try:
            forwarded += len(os.read(p.stdout.fileno(), 65536))
        except BlockingIOError:
            pass
        if read_keys:
            try:
                return os.read(agent, 65536)
            except BlockingIOError:
                pass
        return b""

    deadline = time.time() + 15
    while forwarded < (2 << 20) and time.time() < deadline:
        step(False)
        select.select([p.stdout], [], [], 0.002)
    print("flowing" if forwarded >= (2 << 20) else "stalled after %d bytes (%d of the paste typed)" % (forwarded, pasted))
    got = b""
    deadline = time.time() + 20
    while len(got) < len(paste) and time.time() < deadline:
        got += step(True)
        select.select([p.stdout], [], [], 0.002)
    print("keys ok" if got == paste else "keys: got %d of %d bytes, in order: %s" % (len(got), len(paste), paste.startswith(got)))
    p.stdin.write(b"end\n")
    p.stdin.flush()
    for _ in range(200):  # the relay copies what is left, then ends (bounded: its stdout is read)
        if p.poll() is not None:
            break
        step(False)
        time.sleep(0.01)
    if p.poll() is None:
        p.kill()
    p.wait()
    sys.exit(0)

screen = b""


def pump(seconds):
    global screen
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([leader], [], [], 0.05)
        if r:
            screen += os.read(leader, 65536)


if mode == "ask-while-pending":
    agent = raw_agent()
    os.set_blocking(leader, False)
    paste = PASTE
    pasted = 0
    deadline = time.time() + 10
    while pasted < len(paste) and time.time() < deadline:  # until the queues are full: the agent reads nothing
        try:
            pasted += os.write(leader, paste[pasted:pasted + 4096])
        except BlockingIOError:
            pump(0.2)
            try:
                pasted += os.write(leader, paste[pasted:pasted + 4096])
            except BlockingIOError:
                break
    p.stdin.write(PROMPT)
    p.stdin.flush()
    deadline = time.time() + 30
    while b"To approve type" not in screen and time.time() < deadline:
        pump(0.1)
    said = b"keys you typed that the agent had not read yet were discarded" in screen
    code = re.findall(rb"To approve type ([a-z]{4}) and Enter", screen)[-1]
    os.write(leader, code + b"\r")
    answer = p.stderr.readline().decode().strip()
    os.write(leader, b"AFTER")
    got = b""
    deadline = time.time() + 10
    while not got.endswith(b"AFTER") and time.time() < deadline:
        try:
            got += os.read(agent, 65536)
        except BlockingIOError:
            time.sleep(0.01)
    head = got[:-len(b"AFTER")] if got.endswith(b"AFTER") else got
    if answer == "answer y" and said and got.endswith(b"AFTER") and paste.startswith(head) and len(head) < pasted:
        print("clean cut")
    else:
        print("%s; said %s; the agent got %d bytes then %r; %d pasted" % (answer, said, len(head), got[-12:], pasted))
    p.stdin.write(b"end\n")
    p.stdin.flush()
    p.wait(timeout=30)
    sys.exit(0)


p.stdin.write(PROMPT)
p.stdin.flush()
for _ in range(20):  # replies to queries made before the pause, arriving after it
    os.write(leader, b"\x1b[?2004;2$yy\r")
    pump(0.05)
r, _, _ = select.select([p.stderr], [], [], 0.5)
if r:
    print("answered-early", p.stderr.readline().decode().strip())
    sys.exit(0)
deadline = time.time() + 30
while b"To approve type" not in screen and time.time() < deadline:
    pump(0.1)
code = re.findall(rb"To approve type ([a-z]{4}) and Enter", screen)[-1]
os.write(leader, b"\x1b]l" + code + b"\x1b\\\r\x1b[M" + code[:3] + b"\r")
pump(0.5)
r, _, _ = select.select([p.stderr], [], [], 0)
if r:
    print("answered-early", p.stderr.readline().decode().strip())
os.write(leader, code.upper() + b"\r")
print(p.stderr.readline().decode().strip())
p.stdin.write(b"end\n")
p.stdin.flush()
p.wait(timeout=30)
