package dev.paird.api;

import java.time.Duration;
import java.util.Optional;

/**
 * Constants and command names of the control protocol between pairctl and paird: newline- delimited
 * JSON over a Unix socket, specified in {@code docs/CONTROL.md}.
 */
public final class ControlProtocol {
  /** The protocol version carried in every request and response as {@code "v"}. */
  public static final int VERSION = 1;

  /** Longest request line the daemon reads, newline excluded; longer ones are refused. */
  public static final int MAX_REQUEST_BYTES = 8192;

  /**
   * Longest response line pairctl reads: {@code list-trusted} of a hub's 10,000 peers is about 3 MB
   * (some 310 bytes a peer), and the longest labels and hosts could triple that.
   */
  public static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

  /** Environment variable naming the socket, for pairctl. */
  public static final String SOCKET_ENV = "PAIRD_SOCKET";

  /** Default socket path. */
  public static final String DEFAULT_SOCKET = "/run/paird/control.sock";

  /**
   * The pairing port a {@code pair} or {@code ping} host without {@code :PORT} means, and the one
   * paird listens on unless configured otherwise: 7247 spells PAIR on a phone keypad.
   */
  public static final int DEFAULT_PAIRING_PORT = 7247;

  /** Shortest lifetime {@code new-key} accepts (and {@code key_lifetime} in the config). */
  public static final Duration MIN_KEY_LIFETIME = Duration.ofSeconds(30);

  /** Longest lifetime {@code new-key} accepts (and {@code key_lifetime} in the config). */
  public static final Duration MAX_KEY_LIFETIME = Duration.ofHours(1);

  private ControlProtocol() {}

  /** The commands, with their wire names and whether they change the daemon's state. */
  public enum Command {
    STATUS("status", false),
    NEW_KEY("new-key", true),
    WAIT_KEY("wait-key", false),
    LIST_KEYS("list-keys", false),
    CANCEL_KEY("cancel-key", true),
    PAIR("pair", true),
    PING("ping", false),
    LIST_TRUSTED("list-trusted", false),
    SHOW("show", false),
    REMOVE("remove", true);

    private final String wireName;
    private final boolean changesState;

    Command(String wireName, boolean changesState) {
      this.wireName = wireName;
      this.changesState = changesState;
    }

    public String wireName() {
      return wireName;
    }

    /** Whether the daemon writes an audit line for it. */
    public boolean changesState() {
      return changesState;
    }

    public static Optional<Command> fromWireName(String name) {
      for (Command command : values()) {
        if (command.wireName.equals(name)) {
          return Optional.of(command);
        }
      }
      return Optional.empty();
    }
  }
}
