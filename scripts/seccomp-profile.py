#!/usr/bin/python3
"""Writes the netns sandbox's seccomp programs (classic BPF, as bwrap --seccomp takes them) with
libseccomp, one per supported architecture: seccomp-x86_64.bpf and seccomp-aarch64.bpf in OUTDIR.

The programs are committed under shared-core/src/main/resources/dev/taskbound/core/sandbox/;
SeccompProfileTest regenerates them with this script and compares the bytes, so a change to the
list below must be followed by running this script into that directory.

Every listed call fails with EPERM; clone and unshare fail with EPERM only when they ask for a new
namespace; socket fails with EPERM for AF_VSOCK, whose sockets reach the hypervisor and the host's
vsock services whatever the network namespace (as Docker's default profile); clone3 fails with ENOSYS (its flags sit behind a pointer a filter cannot read, and libc
then falls back to clone, whose flags are checked); a call made with another architecture's
numbering (x32, i386 on x86_64; arm32 on aarch64) kills the process.
Usage: /usr/bin/python3 scripts/seccomp-profile.py OUTDIR   (Debian package python3-seccomp)
"""
import errno
import os
import sys

import seccomp

DENIED = [
    # mounts and the new mount API
    "mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig",
    "fspick", "mount_setattr",
    # joining another namespace
    "setns",
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev",
    # kernel attack surface an agent has no use for
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
    "open_by_handle_at", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "iopl", "ioperm", "swapon", "swapoff", "reboot", "acct", "quotactl",
    "quotactl_fd",
    # io_uring (a large surface Docker's default profile denies too); taking descriptors out of, or
    # comparing them with, another process of the sandbox (Taskbound's own init among them)
    "io_uring_setup", "io_uring_enter", "io_uring_register", "pidfd_getfd", "kcmp",
]

# CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
# CLONE_NEWNET, CLONE_NEWTIME
NAMESPACE_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                   0x40000000, 0x00000080]

# vsock sockets are not confined by a network namespace: the gateway would not be the only way out
AF_VSOCK = 40

ARCHES = {"x86_64": seccomp.Arch.X86_64, "aarch64": seccomp.Arch.AARCH64}


def build(arch):
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    f.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
    if arch & 0xFFFFFFFF != seccomp.system_arch() & 0xFFFFFFFF:
        f.add_arch(arch)
        f.remove_arch(seccomp.Arch.NATIVE)
    eperm = seccomp.ERRNO(errno.EPERM)
    for name in DENIED:
        try:
            seccomp.resolve_syscall(arch, name)
        except ValueError:
            continue
        if seccomp.resolve_syscall(arch, name) < 0:
            continue  # not a call on this architecture (iopl, ioperm on aarch64)
        f.add_rule(eperm, name)
    for flag in NAMESPACE_FLAGS:
        # clone's flags are its first argument on both architectures (the stack's place differs)
        for name in ("unshare", "clone"):
            f.add_rule(eperm, name, seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # the low 32 bits only, as the kernel reads an int argument: socket(0x100000028) is AF_VSOCK too
    f.add_rule(eperm, "socket", seccomp.Arg(0, seccomp.MASKED_EQ, 0xFFFFFFFF, AF_VSOCK))
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return f


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: seccomp-profile.py OUTDIR")
    out = sys.argv[1]
    for name, arch in ARCHES.items():
        path = os.path.join(out, "seccomp-" + name + ".bpf")
        with open(path, "wb") as fh:
            build(arch).export_bpf(fh)


if __name__ == "__main__":
    main()
