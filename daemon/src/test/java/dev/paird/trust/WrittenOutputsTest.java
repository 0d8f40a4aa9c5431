package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.Suite;
import dev.paird.io.AtomicFiles;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A certificate withdrawn in place ({@link WrittenOutputs}): one byte of each file changes, so that
 * a reader that reads the file in pieces across the write sees the certificate trusted or
 * withdrawn; OpenSSL, as nginx, curl and the others read {@code trusted.pem}, reads the withdrawn
 * form without it and with every other; and files that are not what paird wrote are left alone.
 * WithdrawalIT races a real paird; ConsumerFilesTest and the Go recipe read the finished
 * withdrawal.
 */
final class WrittenOutputsTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final List<X509Certificate> CERTS = TestCertificates.selfSigned("withdrawn", 3);

  @TempDir Path dir;

  private final PeerEncodings encodings = new PeerEncodings();

  private Path pem() {
    return dir.resolve(TrustFiles.PEM_NAME);
  }

  private Path pkcs12() {
    return dir.resolve(ConsumerFiles.PKCS12_NAME);
  }

  private List<TrustedPeer> trustAll() throws Exception {
    TrustStore store = TrustStore.open(dir);
    for (X509Certificate certificate : CERTS) {
      store.put(certificate, "host", Suite.SPAKE2, Optional.empty(), T0);
    }
    return store.list();
  }

  @Test
  void withdraw_changesOneByteOfEachFile_theBeginLinesHyphenAndTheBagType() throws Exception {
    List<TrustedPeer> peers = trustAll();
    byte[] pemBefore = Files.readAllBytes(pem());
    byte[] pkcs12Before = Files.readAllBytes(pkcs12());

    assertThat(WrittenOutputs.of(peers).withdraw(pem(), pkcs12(), peers.get(1), peers, encodings))
        .isTrue();

    byte[] pemAfter = Files.readAllBytes(pem());
    List<Integer> pemChanged = differences(pemBefore, pemAfter);
    assertThat(pemChanged).hasSize(1);
    int at = pemChanged.get(0);
    assertThat(new String(pemAfter, at, 28, StandardCharsets.US_ASCII))
        .isEqualTo("#----BEGIN CERTIFICATE-----\n");
    assertThat(pemBefore[at - 1]).as("at the start of a line").isEqualTo((byte) '\n');
    byte[] pkcs12After = Files.readAllBytes(pkcs12());
    List<Integer> pkcs12Changed = differences(pkcs12Before, pkcs12After);
    assertThat(pkcs12Changed).hasSize(1);
    assertThat(pkcs12Before[pkcs12Changed.get(0)]).as("certBag's last arc").isEqualTo((byte) 3);
    assertThat(pkcs12After[pkcs12Changed.get(0)]).isZero();
    assertThat(javaStore())
        .containsExactlyInAnyOrder(peers.get(0).fingerprint(), peers.get(2).fingerprint());
  }

  @Test
  void withdrawnInPlace_openSslReadsEveryOtherCertificate_javaNeedsTheEndLineToo()
      throws Exception {
    List<TrustedPeer> peers = trustAll();
    WrittenOutputs.of(peers).withdraw(pem(), pkcs12(), peers.get(1), peers, encodings);

    assertThat(opensslVerify(peers.get(0))).isTrue();
    assertThat(opensslVerify(peers.get(2))).isTrue();
    assertThat(opensslVerify(peers.get(1))).as("the withdrawn certificate").isFalse();
    // Which is why the store writes trusted.pem whole right after, or, if it cannot, this:
    try (InputStream in = Files.newInputStream(pem())) {
      assertThatThrownBy(() -> CertificateFactory.getInstance("X.509").generateCertificates(in))
          .isInstanceOf(CertificateException.class);
    }

    WrittenOutputs.withdrawEndLine(pem(), peers.get(1), peers, encodings);

    assertThat(TestCertificates.bundleFingerprints(pem()))
        .containsExactly(peers.get(0).fingerprint(), peers.get(2).fingerprint());
    assertThat(opensslVerify(peers.get(0))).isTrue();
    assertThat(opensslVerify(peers.get(1))).isFalse();
  }

  @Test
  void withdraw_filesNotAsWritten_changesNothing_andSaysSo() throws Exception {
    List<TrustedPeer> peers = trustAll();
    Files.writeString(pem(), "# a line added by hand\n" + Files.readString(pem()));
    byte[] pemBefore = Files.readAllBytes(pem());
    byte[] pkcs12Before = Files.readAllBytes(pkcs12());

    assertThat(WrittenOutputs.of(peers).withdraw(pem(), pkcs12(), peers.get(1), peers, encodings))
        .isFalse();

    assertThat(pem()).hasBinaryContent(pemBefore);
    assertThat(pkcs12()).hasBinaryContent(pkcs12Before);
  }

  @Test
  void withdrawals_oneAfterAnother_findTheStoresEntriesPastTheWithdrawnOnes() throws Exception {
    List<TrustedPeer> peers = trustAll();
    WrittenOutputs written = WrittenOutputs.of(peers);

    assertThat(written.withdraw(pem(), pkcs12(), peers.get(0), peers, encodings)).isTrue();
    // As the store does: trusted.pem written whole without it; trusted.p12 keeps the entry.
    List<TrustedPeer> left = peers.subList(1, 3);
    AtomicFiles.write(pem(), TrustFiles.pemParts(left, encodings), AtomicFiles.PUBLIC);
    assertThat(written.withdraw(pem(), pkcs12(), peers.get(0), left, encodings))
        .as("already withdrawn")
        .isFalse();
    assertThat(written.withdraw(pem(), pkcs12(), peers.get(2), left, encodings)).isTrue();

    assertThat(javaStore()).containsExactly(peers.get(1).fingerprint());
    assertThat(opensslVerify(peers.get(1))).isTrue();
    assertThat(opensslVerify(peers.get(2))).isFalse();
  }

  private static List<Integer> differences(byte[] before, byte[] after) {
    assertThat(after).hasSameSizeAs(before);
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < before.length; i++) {
      if (before[i] != after[i]) {
        at.add(i);
      }
    }
    return at;
  }

  /** The aliases of trusted.p12 as Java loads it. */
  private List<String> javaStore() throws Exception {
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(pkcs12())) {
      keyStore.load(in, null);
    }
    return Collections.list(keyStore.aliases());
  }

  /** Whether {@code openssl verify -CAfile trusted.pem} accepts the peer's certificate. */
  private boolean opensslVerify(TrustedPeer peer) throws Exception {
    return TestCertificates.opensslVerifies(
        dir, peer.certificate(), "-no-CApath", "-CAfile", pem().toString());
  }
}
