package dev.paird.trust;

import dev.paird.api.Printable;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A device this one trusts: its pinned certificate and what the user knows it by.
 *
 * <p>The fingerprint and subject are derived from the certificate and checked against it, so a peer
 * whose fingerprint does not name its certificate cannot be constructed. Nothing here is secret;
 * {@link #toString()} shows everything but the certificate itself, with any character that could
 * disturb a log line or a terminal escaped.
 *
 * @param fingerprint SHA-256 of the certificate's DER encoding, 64 lowercase hex digits
 * @param subject the certificate's subject in RFC 2253 form; may hold any character the peer chose,
 *     so escape it (see {@link #toString()}) before printing it
 * @param certificate the pinned certificate
 * @param addedAt when the peer was first paired; kept when it is paired again
 * @param updatedAt when the peer was last paired; equal to {@code addedAt} until it is re-paired
 * @param host the address the user typed to pair, or the address the peer paired from
 * @param suite the suite the last pairing used
 * @param label the user's name for the peer: 1 to 64 printable characters, not blank
 */
public record TrustedPeer(
    String fingerprint,
    String subject,
    X509Certificate certificate,
    Instant addedAt,
    Instant updatedAt,
    String host,
    Suite suite,
    Optional<String> label) {

  /** The longest label, in characters (code points). */
  public static final int MAX_LABEL_LENGTH = 64;

  /** The longest host, in characters (code points); room for a DNS name, brackets and a port. */
  public static final int MAX_HOST_LENGTH = 255;

  /**
   * @throws IllegalArgumentException naming the component that is wrong
   */
  public TrustedPeer {
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(addedAt, "addedAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(suite, "suite");
    Objects.requireNonNull(label, "label");
    if (fingerprint.length() != Fingerprints.FINGERPRINT_LENGTH
        || !Fingerprints.isLowerHex(fingerprint)) {
      throw new IllegalArgumentException("fingerprint must be 64 lowercase hex digits");
    }
    if (!fingerprint.equals(Certificates.fingerprint(certificate))) {
      throw new IllegalArgumentException("fingerprint does not match the certificate");
    }
    if (!subject.equals(Certificates.subject(certificate))) {
      throw new IllegalArgumentException("subject does not match the certificate");
    }
    checkHost(host);
    label.ifPresent(TrustedPeer::checkLabel);
  }

  /**
   * A newly paired peer, with fingerprint and subject taken from its certificate.
   *
   * @throws IllegalArgumentException if the host or label is not acceptable
   */
  public static TrustedPeer create(
      X509Certificate certificate, String host, Suite suite, Optional<String> label, Instant now) {
    return new TrustedPeer(
        Certificates.fingerprint(certificate),
        Certificates.subject(certificate),
        certificate,
        now,
        now,
        host,
        suite,
        label);
  }

  /**
   * This peer paired again: new host and suite, the new label if one is given (else the old one
   * stays), {@code updatedAt} moved to {@code now}, {@code addedAt} kept.
   */
  TrustedPeer repaired(String newHost, Suite newSuite, Optional<String> newLabel, Instant now) {
    return new TrustedPeer(
        fingerprint,
        subject,
        certificate,
        addedAt,
        now,
        newHost,
        newSuite,
        newLabel.isPresent() ? newLabel : label);
  }

  /** Checks a host as typed; exposed so that callers can reject one before pairing. */
  public static void checkHost(String host) {
    int length = host.codePointCount(0, host.length());
    if (length == 0 || length > MAX_HOST_LENGTH) {
      throw new IllegalArgumentException(
          "host must be 1 to " + MAX_HOST_LENGTH + " characters, not " + length);
    }
    if (!host.codePoints().allMatch(c -> Printable.isPrintable(c) && !Character.isSpaceChar(c))) {
      throw new IllegalArgumentException("host must not contain spaces or control characters");
    }
  }

  /** Checks a label; exposed so that callers can reject one before pairing. */
  public static void checkLabel(String label) {
    int length = label.codePointCount(0, label.length());
    if (length == 0 || length > MAX_LABEL_LENGTH) {
      throw new IllegalArgumentException(
          "label must be 1 to " + MAX_LABEL_LENGTH + " characters, not " + length);
    }
    if (label.isBlank()) {
      throw new IllegalArgumentException("label must not be blank");
    }
    if (!label.codePoints().allMatch(Printable::isPrintable)) {
      throw new IllegalArgumentException(
          "label must not contain control, formatting or unassigned characters");
    }
  }

  /** Every component but the certificate, escaped to stay on one printable line. */
  @Override
  public String toString() {
    return "TrustedPeer[fingerprint="
        + fingerprint
        + ", subject="
        + Printable.escaped(subject)
        + ", host="
        + Printable.escaped(host)
        + ", suite="
        + suite
        + ", label="
        + label.map(Printable::escaped).orElse("none")
        + ", addedAt="
        + addedAt
        + ", updatedAt="
        + updatedAt
        + "]";
  }
}
