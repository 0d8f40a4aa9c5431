package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** The certificates in a state directory's outputs for other software, as the JDK reads them. */
final class OutputCertificates {
  private OutputCertificates() {}

  /**
   * Checks that {@code trusted.pem}, {@code trusted.p12} and {@code trusted-certs/} (one file a
   * peer) in {@code state} each hold exactly the certificates whose SHA-256 fingerprints are {@code
   * listed}; {@code context} names the moment in a failure.
   */
  static void assertHoldExactly(Path state, Set<String> listed, String context) throws Exception {
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    Set<String> pem;
    try (InputStream in = Files.newInputStream(state.resolve("trusted.pem"))) {
      pem = fingerprints(x509.generateCertificates(in));
    }
    KeyStore p12 = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(state.resolve("trusted.p12"))) {
      p12.load(in, null);
    }
    List<Certificate> stored = new ArrayList<>();
    for (String alias : Collections.list(p12.aliases())) {
      stored.add(p12.getCertificate(alias));
    }
    List<Certificate> hashed = new ArrayList<>();
    try (Stream<Path> files = Files.list(state.resolve("trusted-certs"))) {
      for (Path file : files.toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          hashed.add(x509.generateCertificate(in));
        }
      }
    }
    assertThat(pem).as("%s: trusted.pem", context).isEqualTo(listed);
    assertThat(fingerprints(stored)).as("%s: trusted.p12", context).isEqualTo(listed);
    assertThat(hashed).as("%s: trusted-certs/, one file a peer", context).hasSize(listed.size());
    assertThat(fingerprints(hashed)).as("%s: trusted-certs/", context).isEqualTo(listed);
  }

  /** The SHA-256 fingerprints of {@code certificates}, in lower-case hex. */
  static Set<String> fingerprints(Iterable<? extends Certificate> certificates) throws Exception {
    Set<String> out = new TreeSet<>();
    for (Certificate certificate : certificates) {
      out.add(
          HexFormat.of()
              .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded())));
    }
    return out;
  }
}
