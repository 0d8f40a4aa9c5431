package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.Suite;
import dev.paird.io.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which writes wait for the disk: the journal line always (TrustJournalTest), {@code trusted.json}
 * when the journal is compacted into it; the outputs of a change that withdraws trust too, so that
 * a crash cannot bring a removed certificate back into a file other software reads; the outputs of
 * a change that only adds trust not, since losing them withholds trust.
 */
final class TrustStoreDurabilityTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final List<X509Certificate> CERTS = TestCertificates.selfSigned("durable", 3);

  @TempDir Path dir;

  private final List<String> durable = new ArrayList<>();
  private final List<String> visibleOnly = new ArrayList<>();

  private TrustStore open() throws Exception {
    return open(TrustStore.MIN_COMPACT_CHANGES);
  }

  private TrustStore open(int minCompactChanges) throws Exception {
    return TrustStore.open(
        dir,
        10,
        TrustStore.MAX_FILE_BYTES,
        (target, content, permissions) -> {
          durable.add(dir.relativize(target).toString());
          AtomicFiles.write(target, content, permissions);
        },
        (target, content, permissions) -> {
          visibleOnly.add(dir.relativize(target).toString());
          AtomicFiles.replace(target, content, permissions);
        },
        minCompactChanges);
  }

  @Test
  void put_writesOnlyTheJournal_andItsOutputsWithoutWaitingForTheDisk() throws Exception {
    TrustStore store = open();
    durable.clear();

    store.put(CERTS.get(0), "a", Suite.SPAKE2, Optional.empty(), T0);

    assertThat(durable).isEmpty();
    assertThat(dir.resolve(TrustJournal.NAME)).isNotEmptyFile();
    assertThat(visibleOnly)
        .contains(TrustFiles.PEM_NAME, ConsumerFiles.PKCS12_NAME)
        .anySatisfy(name -> assertThat(name).startsWith(ConsumerFiles.CAPATH_NAME + "/"))
        .doesNotContain(TrustFiles.JSON_NAME);
  }

  @Test
  void remove_withdrawsInPlace_thenWritesTheBundleWholeWithoutWaitingForTheDisk() throws Exception {
    TrustStore store = open();
    TrustedPeer first = store.put(CERTS.get(0), "a", Suite.SPAKE2, Optional.empty(), T0);
    TrustedPeer second = store.put(CERTS.get(1), "b", Suite.HMAC, Optional.empty(), T0);
    long pkcs12Size = Files.size(dir.resolve(ConsumerFiles.PKCS12_NAME));
    durable.clear();
    visibleOnly.clear();

    assertThat(store.remove(first.fingerprint())).isPresent();

    // The withdrawal in place is flushed (TrustFileDurabilityIT watches the fdatasync calls of a
    // real paird); trusted.pem is then written whole, for Java's PEM reader, unflushed.
    assertThat(durable)
        .doesNotContain(TrustFiles.PEM_NAME, ConsumerFiles.PKCS12_NAME, TrustFiles.JSON_NAME);
    assertThat(visibleOnly).containsExactly(TrustFiles.PEM_NAME);
    assertThat(TestCertificates.bundleFingerprints(dir.resolve(TrustFiles.PEM_NAME)))
        .containsExactly(second.fingerprint());
    assertThat(dir.resolve(ConsumerFiles.PKCS12_NAME)).hasSize(pkcs12Size);
  }

  @Test
  void remove_bundleChangedByAnother_writesBothWholeAndDurably() throws Exception {
    TrustStore store = open();
    TrustedPeer first = store.put(CERTS.get(0), "a", Suite.SPAKE2, Optional.empty(), T0);
    store.put(CERTS.get(1), "b", Suite.HMAC, Optional.empty(), T0);
    Path pem = dir.resolve(TrustFiles.PEM_NAME);
    Files.writeString(pem, Files.readString(pem) + "# added by hand\n");
    durable.clear();
    visibleOnly.clear();

    assertThat(store.remove(first.fingerprint())).isPresent();

    assertThat(visibleOnly).isEmpty();
    assertThat(durable).contains(TrustFiles.PEM_NAME, ConsumerFiles.PKCS12_NAME);
    assertThat(pem).content(StandardCharsets.US_ASCII).doesNotContain("withdrawn", "by hand");
    // Written whole, the files are what a later removal finds where it looks for them.
    durable.clear();
    store.put(CERTS.get(2), "c", Suite.HMAC, Optional.empty(), T0);
    store.remove(store.list().get(0).fingerprint());
    assertThat(durable).doesNotContain(TrustFiles.PEM_NAME, ConsumerFiles.PKCS12_NAME);
  }

  @Test
  void remove_lastPeer_writesEmptyOutputsDurably() throws Exception {
    TrustStore store = open();
    TrustedPeer only = store.put(CERTS.get(0), "a", Suite.SPAKE2, Optional.empty(), T0);
    durable.clear();
    visibleOnly.clear();

    assertThat(store.remove(only.fingerprint())).isPresent();

    assertThat(visibleOnly).isEmpty();
    assertThat(durable)
        .contains(TrustFiles.PEM_NAME, ConsumerFiles.PKCS12_NAME)
        .doesNotContain(TrustFiles.JSON_NAME);
    assertThat(dir.resolve(TrustFiles.PEM_NAME)).isEmptyFile();
  }

  @Test
  void compaction_writesTheListDurably_andEmptiesTheJournal() throws Exception {
    TrustStore store = open(2);
    store.put(CERTS.get(0), "a", Suite.SPAKE2, Optional.empty(), T0);
    store.put(CERTS.get(1), "b", Suite.SPAKE2, Optional.empty(), T0);
    durable.clear();

    // A third change passes the two the journal may hold.
    store.put(CERTS.get(0), "a2", Suite.SPAKE2, Optional.empty(), T0);

    assertThat(durable).containsExactly(TrustFiles.JSON_NAME);
    assertThat(dir.resolve(TrustJournal.NAME)).isEmptyFile();
    assertThat(TrustStore.open(dir).list()).isEqualTo(store.list());
  }

  @Test
  void outputsOfAnAddition_holdTheNewPeer_andOpenKeepsThem() throws Exception {
    TrustStore store = open();
    store.put(CERTS.get(0), "a", Suite.SPAKE2, Optional.empty(), T0);
    byte[] pem = Files.readAllBytes(dir.resolve(TrustFiles.PEM_NAME));

    assertThat(new String(pem, StandardCharsets.US_ASCII))
        .contains(store.list().get(0).fingerprint());
    durable.clear();
    open();
    // Nothing differs from the list, so start-up rewrites nothing.
    assertThat(durable).isEmpty();
  }
}
