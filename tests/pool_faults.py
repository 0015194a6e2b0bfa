"""Faults injected into a process-pool worker (imported by the workers, so kept light)."""

from __future__ import annotations

import os
import struct
import sys
import time


def send_half_a_result() -> None:
    """Write the first bytes of a result message to the pool's result pipe, then hang: what a
    worker stopped in the middle of sending its result leaves behind."""
    frame = sys._getframe()
    while frame is not None and frame.f_code.co_name != "_process_worker":
        frame = frame.f_back
    assert frame is not None, "not running in a ProcessPoolExecutor worker"
    writer = frame.f_locals["result_queue"]._writer
    os.write(writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)  # 1,000 bytes announced
    time.sleep(600)
