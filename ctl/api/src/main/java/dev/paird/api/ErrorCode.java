package dev.paird.api;

import java.util.Locale;
import java.util.Optional;

/**
 * Every error paird and pairctl report, with the stable string that names it on the control socket
 * ({@code "error": {"code": ...}}) and the {@link ExitStatus} pairctl exits with.
 *
 * <p>The wire strings are an interface: scripts match on them. Add codes; never rename one.
 */
public enum ErrorCode {
  // The caller's mistakes. Nothing was changed.
  USAGE("usage", ExitStatus.USAGE),
  BAD_REQUEST("bad_request", ExitStatus.USAGE),
  UNKNOWN_COMMAND("unknown_command", ExitStatus.USAGE),
  REQUEST_TOO_LARGE("request_too_large", ExitStatus.USAGE),
  UNSUPPORTED_VERSION("unsupported_version", ExitStatus.USAGE),
  INVALID_ARGUMENT("invalid_argument", ExitStatus.USAGE),
  MALFORMED_KEY("malformed_key", ExitStatus.USAGE),
  AMBIGUOUS("ambiguous", ExitStatus.USAGE),
  NOT_FOUND("not_found", ExitStatus.NOT_FOUND),

  // Reaching the local daemon: decided by pairctl, except that the daemon also answers
  // permission_denied to a caller its credential check refuses.
  DAEMON_UNREACHABLE("daemon_unreachable", ExitStatus.DAEMON_UNREACHABLE),
  PERMISSION_DENIED("permission_denied", ExitStatus.PERMISSION_DENIED),

  // The daemon or the peer refused.
  LIMIT_REACHED("limit_reached", ExitStatus.REJECTED),
  KEY_REJECTED("key_rejected", ExitStatus.REJECTED),
  NOT_TRUSTED("not_trusted", ExitStatus.REJECTED),

  // Talking to the peer device failed.
  PEER_UNREACHABLE("peer_unreachable", ExitStatus.PEER_FAILED),
  TLS_FAILED("tls_failed", ExitStatus.PEER_FAILED),
  TIMEOUT("timeout", ExitStatus.PEER_FAILED),
  NOT_PAIRD("not_paird", ExitStatus.PEER_FAILED),
  PROTOCOL_ERROR("protocol_error", ExitStatus.PEER_FAILED),
  /** The other device accepted the key but failed on its side, such as saving its list. */
  PEER_FAILED("peer_failed", ExitStatus.PEER_FAILED),
  BUSY("busy", ExitStatus.PEER_FAILED),

  // The daemon's own start-up (never sent on the socket; paird exits with EX_CONFIG).
  CONFIG_INVALID("config_invalid", ExitStatus.INTERNAL),
  IDENTITY_INVALID("identity_invalid", ExitStatus.INTERNAL),
  STATE_INVALID("state_invalid", ExitStatus.INTERNAL),
  ALREADY_RUNNING("already_running", ExitStatus.INTERNAL),

  INTERNAL("internal", ExitStatus.INTERNAL);

  private final String wireName;
  private final ExitStatus exitStatus;

  ErrorCode(String wireName, ExitStatus exitStatus) {
    this.wireName = wireName;
    this.exitStatus = exitStatus;
  }

  /** The stable name used on the control socket, e.g. {@code "key_rejected"}. */
  public String wireName() {
    return wireName;
  }

  /** How pairctl exits when it reports this error. */
  public ExitStatus exitStatus() {
    return exitStatus;
  }

  /** The code with this wire name, if any; unknown names (from a newer daemon) are empty. */
  public static Optional<ErrorCode> fromWireName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (ErrorCode code : values()) {
      if (code.wireName.equals(lower)) {
        return Optional.of(code);
      }
    }
    return Optional.empty();
  }
}
