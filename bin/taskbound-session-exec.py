"""`taskbound session exec` without a JVM (issue 13: under 300 ms a command).

bin/taskbound runs this with `python3 -I -S` for `session exec --session H [--wait-all] [--rw DIR]... [--ro FILE]... -- CMD...`.
It speaks the supervisor's control socket as SessionClient.exec does (frames: a type byte, a 4-byte
big-endian length, the bytes; 'J' JSON, '1' stdout, '2' stderr), sends only the variables an agent
may inherit (AgentEnvironment.isAllowed; SessionExecClientTest keeps the lists equal) and exits with
the command's status. Anything else (another option, help, a handle without session.json, a
supervisor that does not answer) goes to the JVM client, which has the messages for it.
"""
import json
import os
import re
import signal
import socket
import struct
import sys

# AgentEnvironment.BASICS, then AgentEnvironment.CI_METADATA; LC_* as well.
BASICS = {"PATH", "HOME", "LANG", "LANGUAGE", "TERM", "TZ", "USER", "LOGNAME", "CI"}
CI_METADATA = {
    "GITHUB_ACTIONS", "GITHUB_REPOSITORY", "GITHUB_REPOSITORY_ID", "GITHUB_REPOSITORY_OWNER", "GITHUB_RUN_ID",
    "GITHUB_RUN_NUMBER", "GITHUB_RUN_ATTEMPT", "GITHUB_SHA", "GITHUB_REF", "GITHUB_REF_NAME", "GITHUB_REF_TYPE",
    "GITHUB_HEAD_REF", "GITHUB_BASE_REF", "GITHUB_EVENT_NAME", "GITHUB_WORKFLOW", "GITHUB_WORKFLOW_REF",
    "GITHUB_JOB", "GITHUB_ACTOR", "GITHUB_SERVER_URL", "GITHUB_API_URL", "GITHUB_GRAPHQL_URL", "GITHUB_WORKSPACE",
    "RUNNER_OS", "RUNNER_ARCH", "RUNNER_NAME",
    "JENKINS_URL", "BUILD_URL", "BUILD_ID", "BUILD_NUMBER", "BUILD_TAG", "JOB_NAME", "JOB_BASE_NAME", "JOB_URL",
    "NODE_NAME", "EXECUTOR_NUMBER", "WORKSPACE", "BRANCH_NAME", "CHANGE_ID", "CHANGE_TARGET", "CHANGE_BRANCH",
    "GIT_COMMIT", "GIT_BRANCH",
}
EXIT_SANDBOX = 121
MAX_FRAME = 1 << 20


def jvm_client():
    """Hands the whole command line to the JVM client (bin/taskbound with TASKBOUND_EXEC_CLIENT=jvm)."""
    env = dict(os.environb)
    env[b"TASKBOUND_EXEC_CLIENT"] = b"jvm"
    launcher = os.path.join(os.path.dirname(os.path.abspath(__file__)), "taskbound")
    os.execve(launcher, [launcher] + sys.argv[1:], env)


def text(b):
    return b.decode("utf-8", "replace")  # as a JVM decodes what is not UTF-8


def java_path(p):
    """Path.of(p).toString(): repeated and trailing slashes dropped."""
    p = re.sub("/+", "/", p)
    return p[:-1] if len(p) > 1 and p.endswith("/") else p


def parse(args):
    """(handle, wait_all, read_write, read_only, command) from the words after `session exec`, or None."""
    handle, wait_all, read_write, read_only, i = None, False, [], [], 0
    paths = {"--rw": read_write, "--ro": read_only}
    while i < len(args):
        a = args[i]
        if a == "--":
            command = args[i + 1:]
            return (handle, wait_all, read_write, read_only, command) if handle and command else None
        if a in ("--session", "--rw", "--ro") and i + 1 < len(args):
            if a == "--session":
                handle = args[i + 1]
            else:
                paths[a].append(java_path(args[i + 1]))
            i += 2
        elif a.startswith("--session="):
            handle, i = a[len("--session="):], i + 1
        elif a[:5] in ("--rw=", "--ro="):
            paths[a[:4]].append(java_path(a[5:]))
            i += 1
        elif a == "--wait-all":
            wait_all, i = True, i + 1
        else:
            return None
    return None


def error_line(message):
    """ErrorLine.of: controls escaped, cut at 2000 characters."""
    if not message:
        return "(no message)"
    out = []
    for c in message:
        if len(out) >= 2000:
            return "".join(out) + "\u2026"
        o = ord(c)
        if c in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
        elif o < 0x20 or o == 0x7F or 0x80 <= o < 0xA0 or c in "\u2028\u2029":
            out.append("\\u%04x" % o)
        else:
            out.append(c)
    return "".join(out)


def read_fully(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def write_out(fd, data):
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass  # our own output is gone (a closed pipe); the command's exit status still matters


def main():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # interrupted: gone at once, the supervisor stops the command
    words = [text(os.fsencode(a)) for a in sys.argv[3:]] if sys.argv[1:3] == ["session", "exec"] else None
    parsed = parse(words) if words is not None else None
    if parsed is None:
        jvm_client()
    handle, wait_all, read_write, read_only, command = parsed
    state_dir = os.path.abspath(handle)
    try:
        with open(os.path.join(state_dir, "session.json"), "rb") as f:
            record = json.loads(f.read())
        session_id, runtime_dir = record["session"], record["runtime_dir"]
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(os.path.join(runtime_dir, "control.sock"))
    except (OSError, ValueError, KeyError, TypeError):
        jvm_client()
    env = {}
    for k, v in os.environb.items():
        name = text(k)
        if name in BASICS or name.startswith("LC_") or name in CI_METADATA:
            env[name] = text(v)
    request = {"op": "exec", "command": command, "workdir": os.path.normpath(os.getcwd()), "env": env,
               "wait_all": wait_all, "read_write": read_write,
               "read_only": read_only}
    body = json.dumps(request, ensure_ascii=False).encode("utf-8")
    try:
        sock.sendall(b"J" + struct.pack(">i", len(body)) + body)
        while True:
            head = read_fully(sock, 5)
            if head is None:
                sys.stderr.write("taskbound: error: the supervisor of session %s went away while the command ran"
                                 " (killed?); end the session with 'taskbound session end --session %s'\n"
                                 % (session_id, state_dir))
                return EXIT_SANDBOX
            kind, length = head[:1], struct.unpack(">i", head[1:])[0]
            if length < 0 or length > MAX_FRAME:
                raise OSError("a control frame of %d bytes (at most %d)" % (length, MAX_FRAME))
            data = read_fully(sock, length)
            if data is None:
                raise OSError("the control connection ended inside a frame")
            if kind == b"1":
                write_out(1, data)
            elif kind == b"2":
                write_out(2, data)
            else:
                reply = json.loads(data)
                if "exit" in reply:
                    return int(reply["exit"])
                message = reply.get("error") or "the supervisor refused the request"
                sys.stderr.write("taskbound: error: " + error_line(message) + "\n")
                code = reply.get("code")
                return code if isinstance(code, int) else EXIT_SANDBOX
    except (OSError, ValueError) as e:
        sys.stderr.write("taskbound: error: " + error_line("lost the connection to the supervisor of session %s: %s"
                                                           % (session_id, e)) + "\n")
        return EXIT_SANDBOX


if __name__ == "__main__":
    sys.exit(main())
