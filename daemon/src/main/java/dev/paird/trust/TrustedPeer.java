package dev.paird.trust;

import dev.paird.api.ControlRequest;
import dev.paird.api.Printable;
import dev.paird.api.Suite;
import dev.paird.identity.CertificateDer;
import dev.paird.identity.Certificates;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A device this one trusts: its pinned certificate and what the user knows it by.
 *
 * <p>The fingerprint and subject are derived from the certificate and checked against it, so a peer
 * whose fingerprint does not name its certificate cannot be constructed. Nothing here is secret;
 * {@link #toString()} shows everything but the certificate itself, with any character that could
 * disturb a log line or a terminal escaped. Immutable; equal when every component is, the
 * certificate compared by its encoding.
 *
 * <p>A peer read from the trusted list holds its certificate as DER bytes whose structure was
 * checked ({@link CertificateDer}) and from which its fingerprint and subject were taken, and runs
 * the JDK's X.509 parser only when {@link #certificate()} is first called: a hub's start-up with
 * 10,000 peers needs only the bytes. Everything paird does with a listed peer (its files, {@code
 * list-trusted}, {@code show}) works from the bytes; see {@link #certificate()} for what happens if
 * the JDK refuses them.
 */
public final class TrustedPeer {
  /** The longest label, in characters (code points). */
  public static final int MAX_LABEL_LENGTH = ControlRequest.MAX_LABEL;

  /** The longest host, in characters (code points); room for a DNS name, brackets and a port. */
  public static final int MAX_HOST_LENGTH = 255;

  private final String fingerprint;
  private final String subject;
  private final byte[] der;
  private final Instant addedAt;
  private final Instant updatedAt;
  private final String host;
  private final Suite suite;
  private final Optional<String> label;

  /** Null until parsed; parsing twice in a race gives equal certificates, so no lock is needed. */
  private volatile X509Certificate certificate;

  /** Null until asked for; computing it twice in a race gives equal strings. */
  private volatile String spkiPin;

  private volatile Boolean maySign;

  /**
   * A peer with a parsed certificate.
   *
   * @param fingerprint SHA-256 of the certificate's DER encoding, 64 lowercase hex digits
   * @param subject the certificate's subject in RFC 2253 form; may hold any character the peer
   *     chose, so escape it (see {@link #toString()}) before printing it
   * @param certificate the pinned certificate
   * @param addedAt when the peer was first paired; kept when it is paired again
   * @param updatedAt when the peer was last paired; equal to {@code addedAt} until it is re-paired
   * @param host the address the user typed to pair, or the address the peer paired from
   * @param suite the suite the last pairing used
   * @param label the user's name for the peer: 1 to 64 printable characters, not blank
   * @throws IllegalArgumentException naming the component that is wrong
   */
  public TrustedPeer(
      String fingerprint,
      String subject,
      X509Certificate certificate,
      Instant addedAt,
      Instant updatedAt,
      String host,
      Suite suite,
      Optional<String> label) {
    this(
        fingerprint,
        subject,
        Certificates.der(Objects.requireNonNull(certificate, "certificate")),
        certificate,
        addedAt,
        updatedAt,
        host,
        suite,
        label);
    if (!subject.equals(Certificates.subject(certificate))) {
      throw new IllegalArgumentException("subject does not match the certificate");
    }
  }

  private TrustedPeer(
      String fingerprint,
      String subject,
      byte[] der,
      X509Certificate certificate,
      Instant addedAt,
      Instant updatedAt,
      String host,
      Suite suite,
      Optional<String> label) {
    this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint");
    this.subject = Objects.requireNonNull(subject, "subject");
    this.der = der;
    this.certificate = certificate;
    this.addedAt = Objects.requireNonNull(addedAt, "addedAt");
    this.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
    this.host = Objects.requireNonNull(host, "host");
    this.suite = Objects.requireNonNull(suite, "suite");
    this.label = Objects.requireNonNull(label, "label");
    if (fingerprint.length() != Fingerprints.FINGERPRINT_LENGTH
        || !Fingerprints.isLowerHex(fingerprint)) {
      throw new IllegalArgumentException("fingerprint must be 64 lowercase hex digits");
    }
    if (!fingerprint.equals(Certificates.fingerprint(der))) {
      throw new IllegalArgumentException("fingerprint does not match the certificate");
    }
    checkHost(host);
    label.ifPresent(TrustedPeer::checkLabel);
  }

  /**
   * A peer as the trusted list holds it, its certificate not parsed: {@code der} must have passed
   * {@link CertificateDer#subjectName}, whose Name gave {@code subject}. Takes {@code der}; the
   * caller must not change it.
   *
   * @throws IllegalArgumentException naming the component that is wrong
   */
  static TrustedPeer unparsed(
      String fingerprint,
      String subject,
      byte[] der,
      Instant addedAt,
      Instant updatedAt,
      String host,
      Suite suite,
      Optional<String> label) {
    return new TrustedPeer(
        fingerprint,
        subject,
        Objects.requireNonNull(der, "der"),
        null,
        addedAt,
        updatedAt,
        host,
        suite,
        label);
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
    TrustedPeer repaired =
        new TrustedPeer(
            fingerprint,
            subject,
            der,
            certificate,
            addedAt,
            now,
            newHost,
            newSuite,
            newLabel.isPresent() ? newLabel : label);
    repaired.spkiPin = spkiPin;
    repaired.maySign = maySign;
    return repaired;
  }

  /** SHA-256 of the certificate's DER encoding, 64 lowercase hex digits. */
  public String fingerprint() {
    return fingerprint;
  }

  /**
   * The certificate's subject in RFC 2253 form; may hold any character the peer chose, so escape it
   * (see {@link #toString()}) before printing it.
   */
  public String subject() {
    return subject;
  }

  /**
   * The pinned certificate, parsed by the JDK on the first call if the peer was read from the
   * trusted list. Safe for use by several threads.
   *
   * @throws IllegalStateException naming the peer's fingerprint, if the JDK refuses the bytes that
   *     the list's check accepted (a hand-edited list): the peer stays listed, and its files and
   *     {@code list-trusted} still work from the bytes, but nothing can use it as a certificate
   */
  public X509Certificate certificate() {
    X509Certificate parsed = certificate;
    if (parsed == null) {
      try {
        parsed = Certificates.fromDer(der);
      } catch (CertificateException | RuntimeException e) {
        throw new IllegalStateException(
            "the trusted peer "
                + fingerprint
                + " has a certificate the JDK cannot parse: "
                + e.getMessage(),
            e);
      }
      certificate = parsed;
    }
    return parsed;
  }

  /**
   * The certificate's {@link Certificates#spkiPin SPKI pin}, computed on the first call and kept:
   * {@code list-trusted} shows it for every peer, 10,000 of them on a hub, where computing them
   * took 18 ms of each answer.
   */
  public String spkiPin() {
    String pin = spkiPin;
    if (pin == null) {
      pin = Certificates.spkiPin(der);
      spkiPin = pin;
    }
    return pin;
  }

  /**
   * Whether nothing in the certificate forbids it to sign others ({@link Certificates#maySign}),
   * worked out on the first call and kept, as {@link #spkiPin()} is.
   */
  public boolean maySign() {
    Boolean may = maySign;
    if (may == null) {
      may = Certificates.maySign(der);
      maySign = may;
    }
    return may;
  }

  /** The certificate's DER encoding, a copy. */
  public byte[] encoded() {
    return der.clone();
  }

  /** The certificate's DER encoding itself, for this package's encoders: not to be changed. */
  byte[] der() {
    return der;
  }

  /** When the peer was first paired; kept when it is paired again. */
  public Instant addedAt() {
    return addedAt;
  }

  /** When the peer was last paired; equal to {@link #addedAt} until it is re-paired. */
  public Instant updatedAt() {
    return updatedAt;
  }

  /** The address the user typed to pair, or the address the peer paired from. */
  public String host() {
    return host;
  }

  /** The suite the last pairing used. */
  public Suite suite() {
    return suite;
  }

  /** The user's name for the peer: 1 to 64 printable characters, not blank. */
  public Optional<String> label() {
    return label;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrustedPeer other
        && fingerprint.equals(other.fingerprint)
        && subject.equals(other.subject)
        && Arrays.equals(der, other.der)
        && addedAt.equals(other.addedAt)
        && updatedAt.equals(other.updatedAt)
        && host.equals(other.host)
        && suite == other.suite
        && label.equals(other.label);
  }

  @Override
  public int hashCode() {
    // The fingerprint stands for the certificate.
    return Objects.hash(fingerprint, subject, addedAt, updatedAt, host, suite, label);
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
        + Printable.escaped(subject, Printable.SUBJECT_LOG_LIMIT)
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
