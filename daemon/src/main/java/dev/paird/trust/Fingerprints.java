package dev.paird.trust;

import java.util.Locale;
import java.util.Optional;

/** Fingerprints as people type them: hex digits in either case, colons allowed. */
final class Fingerprints {
  /** Length of a fingerprint: SHA-256 as lowercase hex. */
  static final int FINGERPRINT_LENGTH = 64;

  private Fingerprints() {}

  /**
   * A fingerprint or fingerprint prefix as a person may type it, lowercased with colons removed;
   * empty if it has any character other than hex digits and colons.
   */
  static Optional<String> normalizeHex(String typed) {
    String hex = typed.replace(":", "").toLowerCase(Locale.ROOT);
    return isLowerHex(hex) ? Optional.of(hex) : Optional.empty();
  }

  /** Whether every character is one of 0-9 and a-f (ASCII only; no other scripts' digits). */
  static boolean isLowerHex(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }
}
