"""How an `ocop` process ends: with its command's exit status, and nothing after it.

Issue 9: about 1–2 % of `ocop` calls printed their whole answer, then died while the
interpreter shut down (``Fatal Python error: PyGILState_Release: thread state … must be
current when releasing``, SIGABRT; sometimes SIGSEGV). The Temporal SDK's Rust core
delivers each RPC's answer from a thread of its own (a Tokio blocking-pool thread):
holding the GIL, it calls ``loop.call_soon_threadsafe`` (pyo3-async-runtimes'
``set_result``), whose write to the loop's self-pipe (``socket.send``) *releases* the GIL
for the system call. The event loop can run the command on from that moment, and does;
the Rust thread only needs the GIL back to return. When the machine is busy it may get
no CPU before the command has printed its answer and the interpreter has begun
finalizing. Python 3.11 then ends any other thread that asks for the GIL with
``pthread_exit``. Its forced unwinding runs the Rust destructors on the way out: PyO3's
GIL guard, whose ``PyGILState_Release`` finds no current thread state and aborts the
process (SIGABRT), or first the task's ``TaskLocals``, whose ``contextvars.Context`` is
freed without the GIL while the main thread's garbage collector walks the same objects
(SIGSEGV in ``context_tp_dealloc``). This is the known sdk-python issue 300. In gdb,
with a breakpoint on ``PyThread_exit_thread``, the thread is in ``take_gil`` ←
``sock_send`` ← ``set_result`` while the main thread is in ``Py_FinalizeEx`` →
``PyGC_Collect``.

Dropping the client and the runtime before finalization is not deterministic: the
runtime joins its threads (with the GIL released, so that one could finish) only when
its last reference goes, and the last references are held on the Rust side, by tasks
that finish on the runtime's own threads. With a runtime of its own, dropped and
collected after ``asyncio.run``, a client still had the runtime's threads running in 7
of 450 calls. Nor can Python tell when the Rust thread is done. So once the command has
finished, the process ends without finalization: what the interpreter would do first
is done here (Python threads joined, logging shut down, stdout and stderr flushed), then
``os._exit`` with the command's own status. The Rust threads end with the process,
wherever they are.

What this gives up: ``atexit`` handlers and object finalizers do not run. The command
line registers two: logging's shutdown (called here instead) and ``weakref.finalize``'s,
whose finalizers are SQLAlchemy's in-memory ``linecache`` clean-ups. No command relies
on finalizers otherwise: each closes its engines, servers and subprocesses before it
returns.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

FLUSH_FAILED = 120
"""The status Python itself exits with when it cannot flush stdout or stderr at exit."""

INTERRUPTED = 130
"""An uncaught Ctrl-C (128 + SIGINT), as shells report an interrupted command."""


def run_and_exit(command: Callable[[], object]) -> NoReturn:
    """Run `command` (the Typer app), then end the process with its exit status.

    The status is the one the interpreter would have exited with: a ``SystemExit``'s
    code (``typer.Exit`` and Click's own exits end as one), 0 when the command returns,
    and for an exception nobody caught its traceback on stderr (Typer's, as usual) and 1.
    """
    try:
        command()
    except SystemExit as done:
        status = exit_status(done)
    except KeyboardInterrupt:
        sys.excepthook(*sys.exc_info())
        status = INTERRUPTED
    except BaseException:
        sys.excepthook(*sys.exc_info())
        status = 1
    else:
        status = 0
    end_process(status)


def exit_status(done: SystemExit) -> int:
    """The status ``sys.exit(code)`` means: None is 0, an int is itself, anything else is
    printed on stderr and is 1 (as the interpreter does)."""
    code = done.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    with contextlib.suppress(OSError, ValueError):
        print(code, file=sys.stderr)
    return 1


def end_process(status: int) -> NoReturn:
    """End the process now with `status`, skipping the interpreter's finalization.

    First what finalization would have done that matters to a command: wait for Python
    threads that are not daemons, flush and close logging handlers, flush stdout and
    stderr (a failure there turns the status into 120, as it would in Python).
    """
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()
    logging.shutdown()
    if not _flushed():
        status = FLUSH_FAILED
    os._exit(status)


def _flushed() -> bool:
    flushed = True
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe, a closed file
            flushed = False
    return flushed
