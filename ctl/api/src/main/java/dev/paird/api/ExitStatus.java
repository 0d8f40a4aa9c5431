package dev.paird.api;

/**
 * The process exit status of {@code pairctl}, one per kind of failure, so that scripts can tell a
 * typo from a stopped daemon from a rejected key. Documented in {@code pairctl(1)} and the README;
 * the numbers never change meaning.
 */
public enum ExitStatus {
  /** The command did what was asked. */
  OK(0),
  /** A bug or an unexpected condition in pairctl or paird; the message says what. */
  INTERNAL(1),
  /** The command line or an argument was wrong (including a mistyped key). Nothing was done. */
  USAGE(2),
  /** paird is not running, or its control socket does not exist. */
  DAEMON_UNREACHABLE(3),
  /** The control socket exists but this user may not use it. */
  PERMISSION_DENIED(4),
  /** The peer or the daemon said no: key rejected, not trusted, too many pending keys. */
  REJECTED(5),
  /** The peer could not be reached or did not speak the protocol: network, TLS, timeout. */
  PEER_FAILED(6),
  /** The thing named (a trusted peer, a pending key) does not exist. */
  NOT_FOUND(7),
  /**
   * The reader of standard output went away (a closed pipe) before pairctl wrote all of its answer:
   * 128 + SIGPIPE, the status of a command SIGPIPE ended, as other Unix tools end then. A command
   * that changed something did it all the same and says so on stderr; a new key is cancelled.
   */
  OUTPUT_CLOSED(141);

  private final int code;

  ExitStatus(int code) {
    this.code = code;
  }

  /** The numeric process exit status. */
  public int code() {
    return code;
  }
}
