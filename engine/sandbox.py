"""Keep a process off the network: a seccomp filter that refuses every non-local socket.

The query workers run SPARQL written by anyone. Whatever a query says, and whatever a
parser might misread, a worker process locked by ``lock_network`` cannot open a
network connection: the kernel answers ``socket()`` for any family but ``AF_UNIX``
with ``EACCES`` (the worker talks to the service over a Unix socket pair it already
holds). ``io_uring_setup`` is refused too (io_uring can create sockets without
``socket()``), and so is every system call made through another ABI (32-bit
compatibility calls, x32) that the filter does not inspect.

The filter is a classic-BPF program installed with the ``seccomp`` system call and
``SECCOMP_FILTER_FLAG_TSYNC``, so every thread of the process gets it and every
thread or child started later inherits it; ``PR_SET_NO_NEW_PRIVS`` comes first, as
the kernel requires of an unprivileged process. It cannot be removed. Linux on
x86-64 and arm64 only; elsewhere ``lock_network`` raises ``SandboxUnavailable`` and
the caller decides (the service refuses to start workers without it unless told).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import socket
import struct

#: Per machine: the audit architecture, and the numbers of socket, io_uring_setup, seccomp.
_ARCHES = {
    "x86_64": (0xC000003E, 41, 425, 317),
    "aarch64": (0xC00000B7, 198, 425, 277),
}

_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_RET_ALLOW = 0x7FFF0000
_RET_EACCES = 0x00050000 | errno.EACCES
_X32_SYSCALL_BIT = 0x40000000

# classic BPF opcodes
_LOAD_WORD = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JUMP_IF_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JUMP_IF_AT_LEAST = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RETURN = 0x06  # BPF_RET | BPF_K

# offsets in struct seccomp_data
_NR, _ARCH, _ARG0 = 0, 4, 16


class SandboxUnavailable(OSError):
    """This system cannot lock a process off the network."""


def _instruction(code: int, k: int, true: int = 0, false: int = 0) -> bytes:
    return struct.pack("=HBBI", code, true, false, k)


def network_filter(machine: str) -> bytes:
    """The BPF program (bytes of ``struct sock_filter``) for ``machine``."""
    try:
        arch, socket_nr, io_uring_nr, _ = _ARCHES[machine]
    except KeyError:
        raise SandboxUnavailable(f"no network sandbox for the {machine} architecture") from None
    # Each jump counts the instructions to skip; the two returns are the last two.
    program = [
        _instruction(_LOAD_WORD, _ARCH),
        _instruction(_JUMP_IF_EQUAL, arch, 0, 7),  # another ABI -> refuse
        _instruction(_LOAD_WORD, _NR),
        _instruction(_JUMP_IF_AT_LEAST, _X32_SYSCALL_BIT, 5, 0),  # x32 -> refuse
        _instruction(_JUMP_IF_EQUAL, io_uring_nr, 4, 0),  # io_uring -> refuse
        _instruction(_JUMP_IF_EQUAL, socket_nr, 0, 2),  # not socket() -> allow
        _instruction(_LOAD_WORD, _ARG0),  # the address family
        _instruction(_JUMP_IF_EQUAL, socket.AF_UNIX, 0, 1),  # not AF_UNIX -> refuse
        _instruction(_RETURN, _RET_ALLOW),
        _instruction(_RETURN, _RET_EACCES),
    ]
    return b"".join(program)


class _Program(ctypes.Structure):
    _fields_ = [("length", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def lock_network() -> None:
    """Lock this process (all its threads, and all it starts later) off the network.

    Raises:
        SandboxUnavailable: not Linux on x86-64 or arm64, or the kernel refused.
    """
    machine = platform.machine()
    program = network_filter(machine)
    seccomp_nr = _ARCHES[machine][3]
    # the running program's own symbols (dlopen(NULL)): libc is among them. Not
    # ctypes.util.find_library, which runs ldconfig in a subprocess (slow, and a
    # process forked in the middle of that could not be killed at once).
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxUnavailable(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    fprog = _Program(len(program) // 8, program)
    result = libc.syscall(seccomp_nr, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC,
                          ctypes.byref(fprog))
    if result != 0:
        raise SandboxUnavailable(f"seccomp refused the filter: {os.strerror(ctypes.get_errno())}")
