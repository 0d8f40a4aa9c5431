package dev.paird.api;

import java.util.Locale;
import java.util.Optional;

/**
 * A pairing suite: how a key typed on one device proves that both devices saw the same
 * certificates.
 */
public enum Suite {
  /**
   * The literal scheme: HMAC-SHA256 confirmation messages keyed by a 128-bit key. An impostor who
   * receives the first message can test guesses offline, so the key must be long.
   */
  HMAC("hmac", 1),
  /**
   * SPAKE2 (RFC 9382) over P-256 keyed by a short numeric code. An impostor gets one online guess
   * per attempt and learns nothing it can test offline.
   */
  SPAKE2("spake2", 2);

  private final String wireName;
  private final int id;

  Suite(String wireName, int id) {
    this.wireName = wireName;
    this.id = id;
  }

  /** The name on the control socket, in config files and in the trusted list. */
  public String wireName() {
    return wireName;
  }

  /** The suite's byte on the pairing wire protocol. */
  public int id() {
    return id;
  }

  public static Optional<Suite> fromWireName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (Suite suite : values()) {
      if (suite.wireName.equals(lower)) {
        return Optional.of(suite);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return wireName;
  }
}
