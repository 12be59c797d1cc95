"""Run untrusted, model-generated Python in an isolated subprocess and report what happened.

Every run gets a fresh temporary directory, an empty environment, ``python -I``, rlimits (CPU,
address space, processes, file size, open files, no core dumps) and its own session, killed as a
whole when the run ends. On top of that the strongest isolation this machine allows is probed once
per process and used for every run (namespaces come from util-linux ``unshare``):

- as root: network, pid and mount namespaces, and a fresh unprivileged uid per run. The program's
  root directory holds only the system folders (``/usr``, ``/etc``, ``/lib``...) and the
  interpreter's own folders, read-only; a private, size-limited ``/tmp`` (its working directory is
  ``/tmp/sandbox``; ``/var/tmp`` and ``/dev/shm`` are the same tmpfs); a few ``/dev`` nodes; its own
  ``/proc``. The rest of the host's files (the repository, ``/root``, ``/home``...) is not there;
- as another user: network and pid namespaces in a user namespace; files stay those of the user;
- otherwise rlimits and the process group only.

What was applied is listed in ``SandboxResult.isolation``, and every missing layer in ``warnings``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field

MAIN = "main.py"
WORKDIR = "/tmp/sandbox"  # the program's working directory inside its own filesystem view
PATH = "/usr/local/bin:/usr/bin:/bin"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")  # visible, read-only
_UID_BASE = 1_900_000_000  # per-run uids are drawn from [_UID_BASE, _UID_BASE + _UID_SPAN)
_UID_SPAN = 100_000_000
_GRACE_S = 0.5  # how long output is still drained after the program has exited or been killed


class SandboxLimits(BaseModel):
    """Resource limits for one run."""

    wall_timeout_s: float = Field(10.0, gt=0)
    cpu_s: int = Field(5, ge=1, description="RLIMIT_CPU: SIGXCPU at the limit, SIGKILL one second later")
    memory_mb: int = Field(512, ge=64, description="RLIMIT_AS: the program's address space")
    max_processes: int = Field(
        32,
        ge=1,
        description=(
            "RLIMIT_NPROC, in processes and threads. The kernel counts every task of the uid and ignores the "
            "limit for root, so the sandbox runs as a fresh uid when it can; when it has to run as the calling "
            "(non-root) user, the tasks that user already has are added to this number."
        ),
    )
    max_file_mb: int = Field(16, ge=1, description="RLIMIT_FSIZE: the largest file the program may write")
    max_open_files: int = Field(256, ge=16, description="RLIMIT_NOFILE")
    max_output_bytes: int = Field(64_000, ge=1, description="kept per stream; more output stops the run")
    scratch_mb: int = Field(64, ge=1, description="size of the private /tmp, working directory included")


class SandboxResult(BaseModel):
    """What happened in one run."""

    ok: bool = Field(description="exit code 0 and no limit hit")
    returncode: int | None = Field(description="the program's exit code; negative: killed by that signal")
    stdout: str
    stderr: str
    timed_out: bool = Field(description="stopped by the wall timeout or the CPU time limit")
    killed_reason: str | None = Field(
        description="the limit that stopped or broke the run: 'wall timeout 10 s', 'CPU time limit', "
        "'memory limit', 'output limit', 'file size limit', 'process limit', 'killed by SIGSEGV', ..."
    )
    output_truncated: bool = False
    duration_s: float
    cpu_s: float | None = Field(None, description="the program's user + system CPU time, when known")
    isolation: list[str] = Field(default_factory=list, description="what was applied")
    warnings: list[str] = Field(default_factory=list, description="what could not be applied, or went wrong")


class Strategy(BaseModel):
    """One way to start the sandbox; ``strategy()`` probes for the strongest that works here."""

    name: str
    prefix: list[str] = Field(default_factory=list, description="the command the bootstrap runs under")
    fresh_uid: bool = False
    private_fs: bool = False  # needs a mount and a pid namespace, and root to build it
    isolation: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


# The bootstrap runs first in the child (``python -I -S -c``), with the caller's uid. It builds the
# filesystem view, then forks the program (rlimits, sandbox uid, exec) and waits for it. In a pid
# namespace it is pid 1: it reaps orphans, and when it exits the kernel kills everything left. It
# reports the program's exit status and CPU time, or why setting up failed, as JSON lines on the
# status pipe, which the program never inherits.
_BOOTSTRAP = r"""
import json, os, resource, shutil, sys
cfg = json.loads(sys.argv[1])
status = cfg["status_fd"]

def report(**message):
    os.write(status, (json.dumps(message) + "\n").encode())

def fail(exc):
    report(setup_error=f"{type(exc).__name__}: {exc}")
    os._exit(125)

try:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)

    def mount(src, dst, fstype, flags, data=None):
        args = [None if s is None else s.encode() for s in (src, dst, fstype, data)]
        if libc.mount(args[0], args[1], args[2], flags, args[3]) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"mount {src} on {dst}: {os.strerror(err)}")

    RDONLY, NOSUID, NODEV, NOEXEC, REMOUNT, BIND, REC, PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18

    def bind(src, dst, flags=RDONLY | NOSUID | NODEV):
        if os.path.isdir(src):
            os.makedirs(dst, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            open(dst, "a").close()
        mount(src, dst, None, BIND | REC)
        mount(None, dst, None, BIND | REMOUNT | flags)

    uid = cfg["uid"]
    if cfg["private_fs"]:
        work, root = os.open(".", os.O_RDONLY | os.O_DIRECTORY), cfg["root"]
        mount(None, "/", None, REC | PRIVATE)
        mount("tmpfs", root, "tmpfs", NOSUID | NODEV, "size=1m,mode=755")
        for path in cfg["system"] + cfg["keep"]:
            if os.path.islink(path):  # e.g. /bin -> usr/bin
                os.makedirs(os.path.dirname(root + path), exist_ok=True)
                os.symlink(os.readlink(path), root + path)
            elif os.path.isdir(path):
                bind(path, root + path)
        for name in ("null", "zero", "full", "random", "urandom"):
            bind("/dev/" + name, root + "/dev/" + name, RDONLY | NOSUID)  # writing to a device still works
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            os.symlink(target, root + "/dev/" + name)
        os.mkdir(root + "/tmp")
        mount("tmpfs", root + "/tmp", "tmpfs", NOSUID | NODEV, f"size={cfg['scratch_mb']}m,mode=1777")
        for path in ("/var/tmp", "/dev/shm"):
            os.makedirs(root + path)
            mount(root + "/tmp", root + path, None, BIND)
        os.mkdir(root + "/proc")
        mount("proc", root + "/proc", "proc", NOSUID | NODEV | NOEXEC)
        workdir = root + cfg["workdir"]
        os.mkdir(workdir, 0o700)
        for rel in cfg["files"]:
            os.makedirs(os.path.dirname(os.path.join(workdir, rel)), exist_ok=True)
            with open(os.open(rel, os.O_RDONLY, dir_fd=work), "rb") as src:
                with open(os.path.join(workdir, rel), "wb") as dst:
                    shutil.copyfileobj(src, dst)
        os.close(work)
        if uid is not None:
            for top, dirs, files in os.walk(workdir):
                for name in [top, *(os.path.join(top, n) for n in dirs + files)]:
                    os.chown(name, uid, uid)
        os.chroot(root)
        os.chdir(cfg["workdir"])
    launch = (
        "import sys\nsys.argv[:] = [%r]\nsys.path.insert(0, '')\n__file__ = %r\ndel sys\n"
        "exec(compile(open(__file__, 'rb').read(), __file__, 'exec'))" % (cfg["main"], cfg["main"])
    )
    child = os.fork()
except BaseException as exc:
    fail(exc)

if child == 0:
    try:
        os.set_inheritable(status, False)  # closed at exec
        for name, value in cfg["rlimits"].items():
            resource.setrlimit(getattr(resource, name), tuple(value))
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        if libc.prctl(1, 9, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG SIGKILL: dies with the bootstrap
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
        os.execve(cfg["python"], [cfg["python"], "-I", "-c", launch], cfg["env"])
    except BaseException as exc:
        fail(exc)

null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)  # only the program holds its output pipes
while True:
    pid, code, usage = os.wait4(-1, 0)
    if pid == child:
        report(returncode=os.waitstatus_to_exitcode(code), cpu_s=usage.ru_utime + usage.ru_stime)
        os._exit(0)
"""


def run_python(code: str, *, limits: SandboxLimits | None = None, files: dict[str, str] | None = None) -> SandboxResult:
    """Run ``code`` as ``main.py`` in a fresh sandbox; ``files`` (relative path -> text) sit next to it."""
    return _run(code, limits or SandboxLimits(), files or {}, strategy())


async def arun_python(
    code: str, *, limits: SandboxLimits | None = None, files: dict[str, str] | None = None
) -> SandboxResult:
    """``run_python`` in a worker thread. A cancelled caller stops waiting; the run still ends at its limits."""
    return await asyncio.to_thread(run_python, code, limits=limits, files=files)


# The strategy: probed once per process


_strategy: Strategy | None = None
_strategy_lock = threading.Lock()


def strategy() -> Strategy:
    """The strongest isolation that works on this machine, found by running a probe program once."""
    global _strategy
    with _strategy_lock:
        if _strategy is None:
            _strategy = _probe(_candidates())
        return _strategy


def _probe(candidates: list[Strategy]) -> Strategy:
    failures = []
    for candidate in candidates[:-1]:
        result = _run("print('probe ok')", SandboxLimits(wall_timeout_s=20), {}, candidate)
        if result.ok and result.stdout == "probe ok\n":
            break
        why = [w for w in result.warnings if w.startswith("sandbox setup failed")] or result.stderr.strip().splitlines()
        failures.append(f"probe of {candidate.name} failed: {why[-1] if why else f'exit code {result.returncode}'}")
    else:
        candidate = candidates[-1]
    return candidate.model_copy(update={"warnings": [*candidate.warnings, *failures]})


def _candidates() -> list[Strategy]:
    """Strategies from the strongest to the weakest; the last one needs nothing and is not probed."""
    unshare = shutil.which("unshare", path=PATH)
    base = ["rlimits", "process group", "empty environment", "temporary directory"]
    no_net = "no network namespace available (unshare -n failed): network not isolated"
    no_pid = "no pid namespace: a process that leaves the process group (setsid) can outlive the run"
    if os.geteuid() == 0:
        me = (
            "runs as root: RLIMIT_NPROC does not apply to root, and the program can read and write whatever "
            "root can outside its directory (other processes' environments included)"
        )
    else:
        me = (
            f"runs as {_username()}: no filesystem isolation, the program can read and write that user's files "
            "and read its processes' environments; max_processes is added to the tasks that user already runs"
        )
    weakest = Strategy(name="rlimits only", isolation=base, warnings=[no_net, no_pid, me])
    if not unshare:
        return [weakest.model_copy(update={"warnings": ["unshare not found", *weakest.warnings]})]
    if os.geteuid() == 0:
        return [
            Strategy(
                name="namespaces, private filesystem and a fresh uid",
                prefix=[unshare, "--net", "--ipc", "--mount", "--pid", "--fork", "--kill-child", "--"],
                fresh_uid=True,
                private_fs=True,
                isolation=[
                    *base,
                    "network namespace",
                    "ipc namespace",
                    "pid namespace",
                    "mount namespace: private filesystem (read-only system folders and interpreter, private /tmp)",
                    "unprivileged uid",
                ],
            ),
            Strategy(
                name="network and pid namespaces",
                prefix=[unshare, "--net", "--ipc", "--pid", "--fork", "--kill-child", "--"],
                isolation=[*base, "network namespace", "ipc namespace", "pid namespace"],
                warnings=[me],
            ),
            Strategy(
                name="network namespace",
                prefix=[unshare, "--net", "--"],
                isolation=[*base, "network namespace"],
                warnings=[no_pid, me],
            ),
            weakest,
        ]
    return [
        Strategy(
            name="user namespace with network and pid namespaces",
            prefix=[unshare, "--map-root-user", "--net", "--ipc", "--pid", "--fork", "--kill-child", "--"],
            isolation=[*base, "user namespace", "network namespace", "ipc namespace", "pid namespace"],
            warnings=[me],
        ),
        Strategy(
            name="user namespace with a network namespace",
            prefix=[unshare, "--map-root-user", "--net", "--"],
            isolation=[*base, "user namespace", "network namespace"],
            warnings=[no_pid, me],
        ),
        weakest,
    ]


def _username() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"


# One run


def _run(code: str, limits: SandboxLimits, files: dict[str, str], how: Strategy) -> SandboxResult:
    rels = _check_names(files)
    tmp = tempfile.mkdtemp(prefix="archon-sandbox-")
    try:
        work = Path(tmp, "work")  # the program's files; in a private filesystem they are copied to WORKDIR
        for rel, text in {MAIN: code, **files}.items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text, encoding="utf-8")
        Path(tmp, "root").mkdir()  # the private filesystem's mount point
        uid = _fresh_uid() if how.fresh_uid else None
        home = WORKDIR if how.private_fs else str(work)
        status_r, status_w = os.pipe()
        config = {
            "uid": uid,
            "private_fs": how.private_fs,
            "root": str(Path(tmp, "root")),
            "system": [p for p in SYSTEM_DIRS if os.path.lexists(p)],
            "keep": _interpreter_dirs() if how.private_fs else [],
            "scratch_mb": limits.scratch_mb,
            "workdir": WORKDIR,
            "files": [MAIN, *rels],
            "main": MAIN,
            "rlimits": _rlimits(limits, uid),
            "python": sys.executable,
            "env": {"PATH": PATH, "HOME": home, "TMPDIR": "/tmp" if how.private_fs else home, "LANG": "C.UTF-8"},
            "status_fd": status_w,
        }
        argv = [*how.prefix, sys.executable, "-I", "-S", "-c", _BOOTSTRAP, json.dumps(config)]
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                cwd=work,
                env={"PATH": PATH, "LANG": "C.UTF-8"},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                pass_fds=(status_w,),
            )
        except BaseException:
            os.close(status_r)
            raise
        finally:
            os.close(status_w)
        try:
            supervisor = _Supervisor(proc, limits, uid, start).run()
            supervisor.read_status(status_r)
        finally:
            os.close(status_r)
            _clean_up(proc, uid)
        duration = time.monotonic() - start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return supervisor.result(limits, how, duration)


def _check_names(files: dict[str, str]) -> list[str]:
    rels = []
    for name in files:
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts or str(rel) == MAIN:
            raise ValueError(f"sandbox files need a relative path inside the working directory, not {MAIN}: {name!r}")
        rels.append(str(rel))
    return rels


def _rlimits(limits: SandboxLimits, uid: int | None) -> dict[str, list[int]]:
    nproc = limits.max_processes
    if uid is None and os.geteuid() != 0:
        nproc += _tasks_of(os.getuid())  # the kernel counts all of this uid's tasks
    mb = 1024 * 1024
    return {
        "RLIMIT_CPU": [limits.cpu_s, limits.cpu_s + 1],
        "RLIMIT_AS": [limits.memory_mb * mb] * 2,
        "RLIMIT_NPROC": [nproc] * 2,
        "RLIMIT_FSIZE": [limits.max_file_mb * mb] * 2,
        "RLIMIT_NOFILE": [limits.max_open_files] * 2,
        "RLIMIT_CORE": [0, 0],
    }


def _interpreter_dirs() -> list[str]:
    """The interpreter's folders outside the system folders: bound read-only into the private filesystem."""
    system = [os.path.realpath(p) for p in SYSTEM_DIRS if os.path.isdir(p)]
    paths = set()
    for path in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable)):
        for variant in (os.path.abspath(path), os.path.realpath(path)):  # venvs and pyenv use symlinks
            if not any(variant == s or variant.startswith(s + "/") for s in system):
                paths.add(variant)
    kept: list[str] = []
    for path in sorted(paths, key=len):  # one bind per tree: skip folders physically inside a kept one
        real = os.path.realpath(path)
        if not any(path.startswith(k + "/") and real.startswith(os.path.realpath(k) + "/") for k in kept):
            kept.append(path)
    return kept


def _fresh_uid() -> int:
    """A uid no process uses: its RLIMIT_NPROC count starts at zero, and its processes can all be swept."""
    while True:
        uid = _UID_BASE + secrets.randbelow(_UID_SPAN)  # not `random`: callers may seed it
        if not _pids_of(uid):
            return uid


def _proc_status() -> list[tuple[int, int, int]]:
    """(pid, real uid, threads) of every process."""
    rows = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        with contextlib.suppress(KeyError, ValueError, IndexError):
            rows.append((int(entry.name), int(fields["Uid"].split()[0]), int(fields["Threads"])))
    return rows


def _pids_of(uid: int) -> list[int]:
    return [pid for pid, owner, _ in _proc_status() if owner == uid]


def _tasks_of(uid: int) -> int:
    return sum(threads for _, owner, threads in _proc_status() if owner == uid)


def _kill_uid(uid: int, rounds: int = 1) -> None:
    """SIGKILL every process of a sandbox uid; processes forking meanwhile may need a few rounds."""
    for _ in range(rounds):
        pids = _pids_of(uid)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _clean_up(proc: subprocess.Popen, uid: int | None) -> None:
    if proc.returncode is None:  # the supervisor did not get to reap it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if uid is not None:
        _kill_uid(uid, rounds=50)
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # before Linux 5.3 the supervisor polls instead
        return None


class _Supervisor:
    """Reads both pipes incrementally, enforces the wall timeout and the output cap, and reaps the child."""

    def __init__(self, proc: subprocess.Popen, limits: SandboxLimits, uid: int | None, start: float):
        self.proc, self.limits, self.uid, self.start = proc, limits, uid, start
        self.out = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
        self.truncated = False
        self.reason: str | None = None  # set when the supervisor stops the run
        self.timed_out = False
        self.exited = False
        self.cpu_s: float | None = None
        self.status: dict = {}  # the bootstrap's report: the program's returncode and cpu_s, or setup_error

    def stop(self, reason: str | None = None) -> None:
        """Kill the process group (unless its leader is gone: its pgid could be reused) and the sandbox uid."""
        if reason and self.reason is None:
            self.reason = reason
        if not self.exited:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self.uid is not None:
            _kill_uid(self.uid)

    def run(self) -> _Supervisor:
        deadline = self.start + self.limits.wall_timeout_s
        drain_until: float | None = None  # once the run is over, output still in the pipes is read until then
        pidfd = _pidfd(self.proc.pid)
        with selectors.DefaultSelector() as sel:
            for fd in self.out:
                sel.register(fd, selectors.EVENT_READ)
            if pidfd is not None:
                sel.register(pidfd, selectors.EVENT_READ)  # readable once the child has exited
            try:
                while True:
                    now = time.monotonic()
                    if not self.exited and self._has_exited():
                        self.stop()  # leftovers (detached children) must not keep the pipes open
                        self.exited = True
                        if pidfd is not None:
                            sel.unregister(pidfd)
                        drain_until = drain_until or now + _GRACE_S
                    if self.exited and not any(fd in sel.get_map() for fd in self.out):
                        break
                    if drain_until is None and now >= deadline:
                        self.timed_out = True
                        self.stop(f"wall timeout {self.limits.wall_timeout_s:g} s")
                        drain_until = now + _GRACE_S
                    if drain_until is not None and now >= drain_until:
                        break
                    wait = (drain_until or deadline) - now
                    for key, _ in sel.select(max(0.0, wait if pidfd is not None else min(wait, 0.05))):
                        if key.fd != pidfd:
                            self._read(sel, key.fd)
                    if self.truncated and drain_until is None:
                        self.stop("output limit")
                        drain_until = time.monotonic() + _GRACE_S
            finally:
                if pidfd is not None:
                    os.close(pidfd)
        if not self.exited:
            self.stop()
        self._reap()
        return self

    def _read(self, sel: selectors.BaseSelector, fd: int) -> None:
        data = os.read(fd, 65536)
        if not data:
            sel.unregister(fd)
            return
        buf = self.out[fd]
        room = max(self.limits.max_output_bytes - len(buf), 0)
        buf += data[:room]
        if len(data) > room:
            self.truncated = True

    def _has_exited(self) -> bool:
        """Exited, but not reaped yet: its pid (and so its pgid) cannot be reused while we kill by it."""
        return os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def _reap(self) -> None:
        _, code, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(code)
        self.exited = True
        self.cpu_s = usage.ru_utime + usage.ru_stime

    def read_status(self, fd: int) -> None:
        """Read what the bootstrap reported; it has exited by now, or been killed."""
        os.set_blocking(fd, False)
        data = b""
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(fd, 4096):
                data += chunk
        for line in data.decode(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                self.status.update(json.loads(line))

    def result(self, limits: SandboxLimits, how: Strategy, duration: float) -> SandboxResult:
        stdout, stderr = (bytes(b).decode("utf-8", errors="replace") for b in self.out.values())
        warnings = list(how.warnings)
        if "setup_error" in self.status:
            warnings.append(f"sandbox setup failed: {self.status['setup_error']}")
        elif self.reason is None and "returncode" not in self.status:
            warnings.append("the sandbox did not report the program's exit status: the returncode is the launcher's")
        if self.reason is None and "returncode" in self.status:  # the program's own status, not unshare's
            returncode, cpu_s = self.status["returncode"], self.status.get("cpu_s")
        else:
            returncode, cpu_s = self.proc.returncode, self.cpu_s
        reason = self.reason or _limit_hit(returncode, stderr, cpu_s, limits)
        return SandboxResult(
            ok=returncode == 0 and reason is None,
            returncode=returncode,
            stdout=stdout,
            stderr=stderr,
            timed_out=self.timed_out or reason == "CPU time limit",
            killed_reason=reason,
            output_truncated=self.truncated,
            duration_s=round(duration, 3),
            cpu_s=None if cpu_s is None else round(cpu_s, 3),
            isolation=list(how.isolation),
            warnings=warnings,
        )


_LAST_LINE_REASONS = {  # how a Python program dies when it hits a limit without being killed
    "MemoryError": "memory limit",
    "OSError: [Errno 27] File too large": "file size limit",
    "BlockingIOError: [Errno 11] Resource temporarily unavailable": "process limit",
}


def _limit_hit(returncode: int | None, stderr: str, cpu_s: float | None, limits: SandboxLimits) -> str | None:
    """The limit that ended the run, from the signal that killed it or the exception it died of."""
    if not returncode:
        return None
    if returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_s is not None and cpu_s >= limits.cpu_s):
            return "CPU time limit"
        if sig == signal.SIGXFSZ:
            return "file size limit"
        try:
            return f"killed by {signal.Signals(sig).name}"
        except ValueError:
            return f"killed by signal {sig}"
    lines = stderr.strip().splitlines()
    last = lines[-1] if lines else ""
    return next((reason for prefix, reason in _LAST_LINE_REASONS.items() if last.startswith(prefix)), None)
