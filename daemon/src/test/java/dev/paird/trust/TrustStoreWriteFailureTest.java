package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.io.AtomicFiles;
import dev.paird.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A change whose write fails changes nothing: not the list in memory, not the files; a compaction
 * that fails loses nothing.
 */
final class TrustStoreWriteFailureTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final List<X509Certificate> CERTS = TestCertificates.selfSigned("fail", 3);
  private static final X509Certificate A = CERTS.get(0);
  private static final X509Certificate B = CERTS.get(1);
  private static final X509Certificate C = CERTS.get(2);

  @TempDir Path dir;

  /** trusted.pem in {@code dir}, where the store writes its bundle. */
  private Path bundle() {
    return dir.resolve(TrustFiles.PEM_NAME);
  }

  private final FailingWriter writer = new FailingWriter();

  /** A writer that fails on the chosen file, after really writing it if asked to. */
  private static final class FailingWriter implements TrustStore.AtomicWriter {
    String failOn;
    boolean afterReplacing;
    boolean failRestoreToo;
    boolean restoreFailsBeforeWriting;
    int failures;

    @Override
    public void write(Path target, byte[] content, Set<PosixFilePermission> permissions)
        throws IOException {
      if (failOn == null || !target.getFileName().toString().equals(failOn)) {
        AtomicFiles.write(target, content, permissions);
        return;
      }
      failures++;
      if (failures > 1 && !failRestoreToo) {
        AtomicFiles.write(target, content, permissions);
        return;
      }
      if (failures > 1 && restoreFailsBeforeWriting) {
        throw new IOException("No space left on device");
      }
      if (afterReplacing) {
        AtomicFiles.write(target, content, permissions);
        throw new AtomicFiles.NotDurableException(target, new IOException("Input/output error"));
      }
      throw new IOException("No space left on device");
    }

    /** Renaming the old file back fails too when restoring it does. */
    @Override
    public void restore(Path previous, Path target) throws IOException {
      if (failRestoreToo && target.getFileName().toString().equals(failOn)) {
        throw new IOException("Input/output error");
      }
      TrustStore.AtomicWriter.super.restore(previous, target);
    }
  }

  @Test
  void put_bundleCannotBeReplaced_cutsTheJournalBack() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    Saved before = Saved.of(store);
    replaceWithDirectory(bundle());

    assertFailsAsInternal(() -> store.put(B, "b", Suite.HMAC, Optional.empty(), T0))
        .hasMessageContaining(bundle().toString())
        .hasMessageContaining("nothing was changed");
    assertFailsAsInternal(() -> store.remove(Certificates.fingerprint(A)));
    // (Re-pairing A would succeed: it leaves the outputs as they are. ConsumerFilesTest.)

    assertThat(store.list()).isEqualTo(before.peers);
    assertThat(journal()).hasBinaryContent(before.journal);
    Files.delete(bundle().resolve("blocker"));
    Files.delete(bundle());
    TrustStore reopened = TrustStore.open(dir);
    assertThat(reopened.list()).isEqualTo(before.peers);
    assertThat(bundle()).hasBinaryContent(before.pem);
  }

  @Test
  void remove_storeToWithdrawFromIsNoRegularFile_changesNothing_andTheNextRemoveWorks()
      throws Exception {
    TrustStore store = TrustStore.open(dir);
    for (X509Certificate certificate : CERTS) {
      store.put(certificate, "x", Suite.HMAC, Optional.empty(), T0);
    }
    Saved before = Saved.of(store);
    Path pkcs12 = dir.resolve(ConsumerFiles.PKCS12_NAME);
    Files.delete(pkcs12);
    Processes.Result fifo = Processes.run("mkfifo", pkcs12.toString());
    assertThat(fifo.exitStatus()).as(fifo.output()).isZero();

    assertFailsAsInternal(() -> store.remove(Certificates.fingerprint(B)))
        .hasMessageContaining("nothing was changed");

    assertThat(store.list()).isEqualTo(before.peers);
    assertThat(journal()).hasBinaryContent(before.journal);
    assertThat(bundle()).hasBinaryContent(before.pem);
    assertThat(pkcs12).as("put back as the list says").isRegularFile();
    assertThat(store.remove(Certificates.fingerprint(B))).isPresent();
    assertThat(TestCertificates.bundleFingerprints(bundle()))
        .containsExactlyInAnyOrder(Certificates.fingerprint(A), Certificates.fingerprint(C));
  }

  @Test
  void put_firstChangeFails_leavesNoListFile() throws Exception {
    TrustStore store = TrustStore.open(dir);
    replaceWithDirectory(bundle());

    assertFailsAsInternal(() -> store.put(A, "a", Suite.HMAC, Optional.empty(), T0));

    assertThat(store.list()).isEmpty();
    assertThat(store.jsonFile()).doesNotExist();
    assertThat(journal()).isEmptyFile();
  }

  @Test
  void put_journalCannotBeWritten_changesNothing() throws Exception {
    TrustStore store = TrustStore.open(dir);
    Files.createDirectories(journal().resolve("blocker"));

    assertFailsAsInternal(() -> store.put(B, "b", Suite.HMAC, Optional.empty(), T0))
        .hasMessageContaining(journal().toString())
        .hasMessageContaining("nothing was changed");

    assertThat(store.list()).isEmpty();
    assertThat(bundle()).isEmptyFile();
  }

  @Test
  void put_compactionFails_keepsTheChangeInTheJournal() throws Exception {
    TrustStore store = storeCompactingAfter(1);
    writer.failOn = "trusted.json";

    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);

    assertThat(writer.failures).as("the second change compacts").isEqualTo(1);
    assertThat(store.jsonFile()).doesNotExist();
    assertThat(journal()).isNotEmptyFile();
    assertThat(TrustStore.open(dir).list()).isEqualTo(store.list()).hasSize(2);
  }

  @Test
  void compaction_listReplacedButNotFlushed_startsTheJournalAfresh() throws Exception {
    TrustStore store = storeCompactingAfter(1);
    writer.failOn = "trusted.json";
    writer.afterReplacing = true;

    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);
    store.put(C, "c", Suite.HMAC, Optional.empty(), T0);

    assertThat(journal()).isNotEmptyFile();
    assertThat(TrustStore.open(dir).list()).isEqualTo(store.list()).hasSize(3);
  }

  @Test
  void put_bundleReplacedButNotFlushed_restoresBothFiles() throws Exception {
    TrustStore store = storeWithOnePeer();
    Saved before = Saved.of(store);
    writer.failOn = "trusted.pem";
    writer.afterReplacing = true;

    assertFailsAsInternal(() -> store.put(B, "b", Suite.HMAC, Optional.empty(), T0))
        .hasMessageContaining("could not be flushed")
        .hasMessageContaining("nothing was changed");

    before.assertUnchanged(store);
  }

  @Test
  void put_undoOfTheOutputsFailsToo_saysTheListIsUnchangedAndTheOutputsAreRewrittenLater()
      throws Exception {
    TrustStore store = storeWithOnePeer();
    List<TrustedPeer> before = store.list();
    writer.failOn = "trusted.pem";
    writer.afterReplacing = true;
    writer.failRestoreToo = true;

    assertFailsAsInternal(() -> store.put(C, "c", Suite.HMAC, Optional.empty(), T0))
        .hasMessageContaining("the list is unchanged")
        .hasMessageContaining("the next change or start rewrites them");

    assertThat(store.list()).isEqualTo(before);
    store.close();
    assertThat(TrustStore.open(dir).list()).as("after a restart").isEqualTo(before);
  }

  @Test
  void put_undoFailsToo_theNextChangeRewritesEveryOutput_evenARepairing() throws Exception {
    TrustStore store = storeWithOnePeer();
    byte[] pemBefore = Files.readAllBytes(bundle());
    writer.failOn = "trusted.pem";
    writer.afterReplacing = true;
    writer.failRestoreToo = true;
    writer.restoreFailsBeforeWriting = true;
    assertFailsAsInternal(() -> store.put(C, "c", Suite.HMAC, Optional.empty(), T0));
    assertThat(Files.readAllBytes(bundle()))
        .as("C's certificate left in the bundle")
        .isNotEqualTo(pemBefore);

    writer.failOn = null;
    store.put(A, "a2", Suite.SPAKE2, Optional.empty(), T0.plusSeconds(1));

    assertThat(bundle()).hasBinaryContent(pemBefore);
  }

  /** A disk that fails a write may recover: INTERNAL, whose exit status 1 systemd restarts. */
  @Test
  void open_bundleCannotBeWritten_isRefusedAsAFailureThatMayPass() throws Exception {
    writer.failOn = "trusted.pem";

    assertThatThrownBy(() -> TrustStore.open(dir, 10, TrustStore.MAX_FILE_BYTES, writer))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
        .hasMessageContaining(dir.resolve("trusted.pem").toString());
  }

  /** Makes {@code file} a non-empty directory, which rename(2) cannot replace with a file. */
  private static void replaceWithDirectory(Path file) throws IOException {
    Files.delete(file);
    Files.createDirectories(file.resolve("blocker"));
  }

  private Path journal() {
    return dir.resolve(TrustJournal.NAME);
  }

  /** A store that writes through {@link #writer}, holding peer A, compacting past {@code n}. */
  private TrustStore storeCompactingAfter(int n) throws PairdException {
    TrustStore store = TrustStore.open(dir, 10, TrustStore.MAX_FILE_BYTES, writer, writer, n);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    return store;
  }

  /** A store that writes through {@link #writer}, holding peer A. */
  private TrustStore storeWithOnePeer() throws PairdException {
    TrustStore store = TrustStore.open(dir, 10, TrustStore.MAX_FILE_BYTES, writer);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    return store;
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertFailsAsInternal(
      ThrowingCallable change) {
    return assertThatThrownBy(change)
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));
  }

  /** The store's list and both files' bytes at one moment. */
  private static final class Saved {
    final List<TrustedPeer> peers;
    final byte[] journal;
    final byte[] pem;

    private Saved(List<TrustedPeer> peers, byte[] journal, byte[] pem) {
      this.peers = peers;
      this.journal = journal;
      this.pem = pem;
    }

    static Saved of(TrustStore store) throws IOException {
      return new Saved(
          store.list(),
          Files.readAllBytes(store.jsonFile().resolveSibling(TrustJournal.NAME)),
          Files.readAllBytes(pemFile(store)));
    }

    /** The bundle beside the list, where TrustStore writes it. */
    private static Path pemFile(TrustStore store) {
      return store.jsonFile().resolveSibling(TrustFiles.PEM_NAME);
    }

    void assertUnchanged(TrustStore store) throws PairdException {
      assertThat(store.list()).isEqualTo(peers);
      assertThat(store.jsonFile().resolveSibling(TrustJournal.NAME)).hasBinaryContent(journal);
      assertThat(pemFile(store)).hasBinaryContent(pem);
      assertThat(TrustStore.open(store.jsonFile().getParent()).list()).isEqualTo(peers);
    }
  }
}
