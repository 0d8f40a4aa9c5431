package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

final class TrustedPeerTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final X509Certificate A = TestCertificates.selfSigned("a");
  private static final X509Certificate B = TestCertificates.selfSigned("b");

  @Test
  void create_takesFingerprintAndSubjectFromTheCertificate() {
    TrustedPeer peer = TrustedPeer.create(A, "a.local", Suite.HMAC, Optional.empty(), T0);

    assertThat(peer.fingerprint()).matches("[0-9a-f]{64}");
    assertThat(peer.subject()).isEqualTo("CN=a");
    assertThat(peer.addedAt()).isEqualTo(peer.updatedAt()).isEqualTo(T0);
  }

  @Test
  void new_fingerprintOfAnotherCertificate_fails() {
    String other = Certificates.fingerprint(B);

    assertThatThrownBy(
            () -> new TrustedPeer(other, "CN=a", A, T0, T0, "a", Suite.HMAC, Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fingerprint does not match");
  }

  @Test
  void new_upperCaseFingerprint_fails() {
    String upper = Certificates.fingerprint(A).toUpperCase(Locale.ROOT);

    assertThatThrownBy(
            () -> new TrustedPeer(upper, "CN=a", A, T0, T0, "a", Suite.HMAC, Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lowercase hex");
  }

  @Test
  void new_subjectNotTheCertificates_fails() {
    String fingerprint = Certificates.fingerprint(A);

    assertThatThrownBy(
            () ->
                new TrustedPeer(fingerprint, "CN=b", A, T0, T0, "a", Suite.HMAC, Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("subject");
  }

  @Test
  void checkLabel_limits() {
    TrustedPeer.checkLabel("x".repeat(64));
    TrustedPeer.checkLabel("\uD83D\uDCBB".repeat(64)); // 64 code points, 128 chars

    assertThatThrownBy(() -> TrustedPeer.checkLabel("x".repeat(65)))
        .hasMessageContaining("1 to 64 characters, not 65");
    assertThatThrownBy(() -> TrustedPeer.checkLabel("\uD83D")).hasMessageContaining("control");
    assertThatThrownBy(() -> TrustedPeer.checkLabel("zero\u200bwidth"))
        .hasMessageContaining("control");
  }

  @Test
  void repaired_keepsAddedAtAndOldLabelUnlessGiven() {
    TrustedPeer peer = TrustedPeer.create(A, "a", Suite.HMAC, Optional.of("Old"), T0);
    Instant later = T0.plusSeconds(3600);

    TrustedPeer kept = peer.repaired("b", Suite.SPAKE2, Optional.empty(), later);
    TrustedPeer replaced = peer.repaired("b", Suite.SPAKE2, Optional.of("New"), later);

    assertThat(kept.label()).contains("Old");
    assertThat(replaced.label()).contains("New");
    assertThat(kept.addedAt()).isEqualTo(T0);
    assertThat(kept.updatedAt()).isEqualTo(later);
  }

  @Test
  void toString_isOneShortLineWithoutTheCertificate() {
    TrustedPeer peer = TrustedPeer.create(A, "a.local", Suite.SPAKE2, Optional.of("Büro"), T0);

    assertThat(peer.toString())
        .contains(peer.fingerprint(), "CN=a", "a.local", "spake2", "B\\xfcro")
        .doesNotContain("CERTIFICATE")
        .hasSizeLessThan(300);
  }

  @Test
  void unparsed_parsesTheCertificateOnFirstUseOnly() throws Exception {
    TrustedPeer peer = unparsed(A.getEncoded());

    X509Certificate first = peer.certificate();

    assertThat(first).isEqualTo(A);
    assertThat(peer.certificate()).isSameAs(first);
    assertThat(peer)
        .isEqualTo(
            new TrustedPeer(
                peer.fingerprint(), "CN=a", A, T0, T0, "a", Suite.HMAC, Optional.empty()));
  }

  @Test
  void unparsed_certificateTheJdkRefuses_failsNamingThePeerWhenUsed() throws Exception {
    byte[] der = A.getEncoded();
    // notBefore's UTCTime tag made an OCTET STRING: the structure the list checks is intact.
    int time = indexOf(der, new byte[] {0x17, 0x0d});
    der[time] = 0x04;
    TrustedPeer peer = unparsed(der);

    assertThat(peer.encoded()).isEqualTo(der);
    assertThat(Certificates.spkiPin(peer.encoded())).isEqualTo(Certificates.spkiPin(A));
    assertThat(peer.spkiPin()).isEqualTo(Certificates.spkiPin(A));
    assertThatThrownBy(peer::certificate)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(peer.fingerprint());
  }

  @Test
  void spkiPin_isTheCertificates_createdReadOrRepaired() throws Exception {
    TrustedPeer created = TrustedPeer.create(A, "a", Suite.HMAC, Optional.empty(), T0);
    TrustedPeer read = unparsed(A.getEncoded());
    TrustedPeer other = TrustedPeer.create(B, "b", Suite.HMAC, Optional.empty(), T0);

    assertThat(created.spkiPin()).isEqualTo(Certificates.spkiPin(A));
    assertThat(read.spkiPin()).isEqualTo(Certificates.spkiPin(A));
    assertThat(created.repaired("c", Suite.SPAKE2, Optional.empty(), T0).spkiPin())
        .isEqualTo(Certificates.spkiPin(A));
    assertThat(read.repaired("c", Suite.SPAKE2, Optional.empty(), T0).spkiPin())
        .isEqualTo(Certificates.spkiPin(A));
    assertThat(other.spkiPin()).isEqualTo(Certificates.spkiPin(B)).isNotEqualTo(created.spkiPin());
  }

  @Test
  void unparsed_firstUseFromSeveralThreads_givesEveryoneTheCertificate() throws Exception {
    TrustedPeer peer = unparsed(A.getEncoded());
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<X509Certificate>> results = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        results.add(
            threads.submit(
                () -> {
                  start.await();
                  return peer.certificate();
                }));
      }
      start.countDown();
      for (Future<X509Certificate> result : results) {
        assertThat(result.get(10, TimeUnit.SECONDS)).isEqualTo(A);
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void unparsed_fingerprintOfAnotherCertificate_fails() throws Exception {
    assertThatThrownBy(
            () ->
                TrustedPeer.unparsed(
                    Certificates.fingerprint(B),
                    "CN=a",
                    A.getEncoded(),
                    T0,
                    T0,
                    "a",
                    Suite.HMAC,
                    Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fingerprint does not match");
  }

  private static TrustedPeer unparsed(byte[] der) {
    return TrustedPeer.unparsed(
        Certificates.fingerprint(der), "CN=a", der, T0, T0, "a", Suite.HMAC, Optional.empty());
  }

  private static int indexOf(byte[] bytes, byte[] part) {
    for (int i = 0; i + part.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }
}
