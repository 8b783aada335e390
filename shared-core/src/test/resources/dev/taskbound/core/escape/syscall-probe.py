# Calls each system call the netns sandbox's seccomp filter refuses, with harmless arguments (a
# bogus key type, an invalid reboot magic, descriptor -1), and prints "name errno" for each.
# Run with the system python3 (python3-seccomp resolves the numbers for this architecture).
import ctypes
import errno
import os

import seccomp

if os.geteuid() == 0:
    raise SystemExit("syscall-probe.py: refusing to run as root (acct, reboot, swapoff would act)")
libc = ctypes.CDLL(None, use_errno=True)
ARCH = seccomp.system_arch()
ARCH = ARCH - (1 << 32) if ARCH > 0x7FFFFFFF else ARCH  # resolve_syscall takes the signed form
L = ctypes.c_long
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, SIGCHLD = 0x10000000, 0x00020000, 0x40000000, 17


def call(label, name, *args):
    ctypes.set_errno(0)
    r = libc.syscall(L(seccomp.resolve_syscall(ARCH, name)), *args)
    e = ctypes.get_errno()
    if r == 0 and name == "clone":
        os._exit(0)  # the child of a clone the filter let through: gone at once
    if r > 0 and name == "clone":
        os.waitpid(r, 0)
    print(label, "ok" if r >= 0 else errno.errorcode.get(e, str(e)), flush=True)


try:
    ns = os.open("/proc/1/ns/net", os.O_RDONLY)  # the PID namespace's init: its network namespace
except OSError:
    ns = os.open("/proc/self/ns/net", os.O_RDONLY)
call("mount", "mount", b"none", b"/tmp", b"tmpfs", L(0), None)
call("umount2", "umount2", b"/proc", L(2))
call("pivot_root", "pivot_root", b"/tmp", b"/tmp")
call("open_tree", "open_tree", L(-100), b"/", L(0))
call("move_mount", "move_mount", L(-1), b"", L(-1), b"", L(0))
call("fsopen", "fsopen", b"tmpfs", L(0))
call("fsconfig", "fsconfig", L(-1), L(0), None, None, L(0))
call("fsmount", "fsmount", L(-1), L(0), L(0))
call("fspick", "fspick", L(-100), b"/", L(0))
call("mount_setattr", "mount_setattr", L(-100), b"/", L(0), None, L(0))
call("setns", "setns", L(ns), L(0))
call("unshare-user", "unshare", L(CLONE_NEWUSER))
call("unshare-mount", "unshare", L(CLONE_NEWNS))
call("clone-user", "clone", L(CLONE_NEWUSER | SIGCHLD), None, None, None, None)
call("clone-net", "clone", L(CLONE_NEWNET | SIGCHLD), None, None, None, None)
call("ptrace", "ptrace", L(16), L(1), None, None)
call("process_vm_readv", "process_vm_readv", L(1), None, L(0), None, L(0), L(0))
call("bpf", "bpf", L(0), None, L(0))
call("perf_event_open", "perf_event_open", None, L(0), L(-1), L(-1), L(0))
call("userfaultfd", "userfaultfd", L(0))
call("keyctl", "keyctl", L(0), L(-3), L(0))
call("add_key", "add_key", b"tb-no-such-type", b"tb", b"x", L(1), L(-3))
call("request_key", "request_key", b"tb-no-such-type", b"tb", None, L(0))
call("open_by_handle_at", "open_by_handle_at", L(-1), None, L(0))
call("kexec_load", "kexec_load", L(0), L(0), None, L(0))
call("kexec_file_load", "kexec_file_load", L(-1), L(-1), L(0), None, L(0))
call("init_module", "init_module", None, L(0), None)
call("finit_module", "finit_module", L(-1), None, L(0))
call("delete_module", "delete_module", b"tb_no_such_module", L(0))
if seccomp.resolve_syscall(ARCH, "iopl") >= 0:
    call("iopl", "iopl", L(3))
    call("ioperm", "ioperm", L(0x80), L(1), L(1))
call("swapon", "swapon", b"/tb-no-such-file", L(0))
call("swapoff", "swapoff", b"/tb-no-such-file")
call("reboot", "reboot", L(0), L(0), L(0), None)
call("acct", "acct", None)
call("quotactl", "quotactl", L(0), None, L(0), None)
call("io_uring_setup", "io_uring_setup", L(1), None)
call("pidfd_getfd", "pidfd_getfd", L(-1), L(0), L(0))
call("socket-vsock", "socket", L(40), L(1), L(0))  # AF_VSOCK, SOCK_STREAM
call("socket-vsock-high", "socket", L(0x100000028), L(1), L(0))  # the kernel reads only the int: AF_VSOCK
call("socket-unix", "socket", L(1), L(1), L(0))  # AF_UNIX: still made
call("clone3", "clone3", None, L(0))
