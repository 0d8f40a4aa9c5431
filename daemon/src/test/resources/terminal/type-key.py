"""Types a key into a program on a pseudo-terminal, as a person at a terminal would.

Usage: type-key.py PROMPT KEY STDOUT-FILE -- COMMAND...

Runs COMMAND through sh on a new pseudo-terminal (its standard input and error; standard output
too, unless STDOUT-FILE is not '-', which then receives it), waits for PROMPT to appear on the
terminal, types KEY and Enter (no Enter after a Ctrl-C), and reads everything the terminal shows
until COMMAND and sh are done. sh then runs 'stty -a' on the same terminal, so that the
transcript ends with the terminal's modes as COMMAND left them. Prints one JSON object: the command's exit status and the transcript,
Latin-1 decoded so that every byte survives.
"""

import json
import os
import pty
import select
import shlex
import sys
import time

BOUND = 60.0


def main():
    prompt, key, stdout_file = sys.argv[1].encode(), sys.argv[2].encode(), sys.argv[3]
    command = sys.argv[sys.argv.index("--") + 1 :]
    redirect = "" if stdout_file == "-" else " >" + shlex.quote(stdout_file)
    # A handler, not an ignored signal: the command gets the default back, and Ctrl-C typed to
    # it leaves sh to run stty.
    script = "trap : INT; " + shlex.join(command) + redirect + "; status=$?; stty -a; exit $status"
    pid, fd = pty.fork()
    if pid == 0:
        os.execv("/bin/sh", ["sh", "-c", script])
    transcript = b""
    typed = False
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], deadline - time.monotonic())
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every process on the terminal has closed it
            break
        if not chunk:
            break
        transcript += chunk
        if not typed and prompt in transcript:
            # Ctrl-C is the last key a person presses: an Enter after it would give the program
            # an empty line, which it could read before the SIGINT is handled.
            os.write(fd, key if key.endswith(b"\x03") else key + b"\r")
            typed = True
    _, status = os.waitpid(pid, 0)
    print(
        json.dumps(
            {
                "typed": typed,
                "status": os.waitstatus_to_exitcode(status),
                "transcript": transcript.decode("latin-1"),
            }
        )
    )


main()
