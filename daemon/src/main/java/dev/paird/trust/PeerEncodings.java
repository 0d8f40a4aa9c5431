package dev.paird.trust;

import dev.paird.api.Printable;
import dev.paird.identity.CertificateDer;
import dev.paird.identity.Certificates;
import dev.paird.identity.SubjectHash;
import dev.paird.identity.TrustedPkcs12;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each trusted peer's part of the derived files ({@code trusted.pem}, {@code trusted-certs/},
 * {@code trusted.p12}), encoded once and kept while the peer is trusted: a change to a list of
 * thousands then rebuilds each file by concatenating parts it already has, and encodes only the
 * peer that changed. A peer's parts depend only on its certificate, so they are kept by
 * fingerprint, and a re-paired peer keeps them.
 *
 * <p>Costs about 1.5 KiB of heap per peer with a P-256 certificate (the PEM text once, the PKCS#12
 * entry, the subject hash). Safe for use by several threads; the store's writes are serialized
 * anyway.
 */
final class PeerEncodings {
  /**
   * @param pemEntry the peer's part of {@code trusted.pem}: a comment line, then the PEM block
   * @param pemStart where the PEM block starts in {@code pemEntry}
   * @param subjectHash OpenSSL's subject hash, empty if OpenSSL could not hash the subject
   * @param pkcs12Entry the peer's part of {@code trusted.p12}, see {@link TrustedPkcs12#entry}
   */
  record Encoded(byte[] pemEntry, int pemStart, Optional<String> subjectHash, byte[] pkcs12Entry) {
    /** The certificate alone as one PEM block, as a CApath file holds it. */
    byte[] certificatePem() {
      return Arrays.copyOfRange(pemEntry, pemStart, pemEntry.length);
    }
  }

  private final Map<String, Encoded> byFingerprint = new ConcurrentHashMap<>();

  Encoded of(TrustedPeer peer) {
    return byFingerprint.computeIfAbsent(peer.fingerprint(), fingerprint -> encode(peer));
  }

  /** Forgets a peer that is no longer trusted. */
  void forget(String fingerprint) {
    byFingerprint.remove(fingerprint);
  }

  /**
   * The subject is the peer's choice, so the comment escapes it to printable ASCII: a subject with
   * a line break must not be able to write a certificate of its own into the bundle. A hyphen that
   * follows a hyphen is escaped too, so that no comment holds the "-----" of a PEM boundary: GnuTLS
   * looks for "-----BEGIN CERTIFICATE" anywhere in the text, and OpenSSL reads a long line in
   * pieces of 254 characters and takes a piece that starts with "-----BEGIN " and ends the line for
   * a block's start; either then refuses the whole bundle.
   */
  private static Encoded encode(TrustedPeer peer) {
    byte[] comment =
        ("# "
                + peer.fingerprint()
                + ' '
                + Printable.escaped(peer.subject()).replace("--", "-\\x2d")
                + '\n')
            .getBytes(StandardCharsets.US_ASCII);
    byte[] block = Certificates.toPemBytes(peer.der());
    byte[] pem = Arrays.copyOf(comment, comment.length + block.length);
    System.arraycopy(block, 0, pem, comment.length, block.length);
    return new Encoded(
        pem,
        comment.length,
        subjectHash(peer),
        TrustedPkcs12.entry(peer.fingerprint(), peer.der()));
  }

  /** From the certificate's bytes, which every peer's passed {@link CertificateDer}'s check. */
  private static Optional<String> subjectHash(TrustedPeer peer) {
    try {
      return SubjectHash.of(CertificateDer.subjectName(peer.der()));
    } catch (CertificateException e) {
      // The JDK parsed it, and CertificateDer is stricter: OpenSSL may well refuse it too.
      return SubjectHash.of(peer.certificate());
    }
  }
}
