package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.io.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal of changes beside {@code trusted.json}: what {@link TrustStore#open} replays, drops
 * and refuses, and what compaction leaves.
 */
final class TrustJournalTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final List<X509Certificate> CERTS = TestCertificates.selfSigned("journal", 4);
  private static final X509Certificate A = CERTS.get(0);
  private static final X509Certificate B = CERTS.get(1);
  private static final X509Certificate C = CERTS.get(2);

  @TempDir Path dir;

  private Path journal() {
    return dir.resolve(TrustJournal.NAME);
  }

  private Path json() {
    return dir.resolve(TrustFiles.JSON_NAME);
  }

  /** A store that compacts only when told to (closed), so the journal keeps every change. */
  private TrustStore open() throws PairdException {
    return open(1_000);
  }

  private TrustStore open(int minCompactChanges) throws PairdException {
    return TrustStore.open(
        dir,
        TrustStore.DEFAULT_MAX_PEERS,
        TrustStore.MAX_FILE_BYTES,
        AtomicFiles::write,
        AtomicFiles::replace,
        minCompactChanges);
  }

  @Test
  void open_replaysEveryChange_inOrder() throws Exception {
    TrustStore store = open();
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.SPAKE2, Optional.of("Bee"), T0.plusSeconds(1));
    store.remove(store.list().get(0).fingerprint());
    store.put(B, "b2", Suite.HMAC, Optional.empty(), T0.plusSeconds(2));
    store.put(C, "c", Suite.HMAC, Optional.empty(), T0.plusSeconds(3));

    assertThat(json()).doesNotExist();
    List<TrustedPeer> reopened = open().list();

    assertThat(reopened).isEqualTo(store.list());
    assertThat(reopened).extracting(TrustedPeer::host).containsExactly("b2", "c");
    assertThat(reopened.get(0).label()).contains("Bee");
  }

  @Test
  void open_tornLastLine_isDroppedAndCutOff() throws Exception {
    TrustStore store = open();
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    List<TrustedPeer> acknowledged = store.list();
    long whole = Files.size(journal());
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);
    byte[] bytes = Files.readAllBytes(journal());
    // The second line cut short, as a crash in the middle of its write leaves it.
    Files.write(journal(), Arrays.copyOf(bytes, (int) whole + 40));

    assertThat(open().list()).isEqualTo(acknowledged);
    assertThat(Files.size(journal())).as("cut back to its whole lines").isEqualTo(whole);
    TrustStore again = open();
    again.put(C, "c", Suite.HMAC, Optional.empty(), T0);
    assertThat(open().list()).extracting(TrustedPeer::host).containsExactlyInAnyOrder("a", "c");
  }

  @Test
  void open_lastLineWithBadChecksum_isDropped() throws Exception {
    TrustStore store = open();
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);
    byte[] bytes = Files.readAllBytes(journal());
    bytes[bytes.length - 20] ^= 1;
    Files.write(journal(), bytes);

    assertThat(open().list()).extracting(TrustedPeer::host).containsExactly("a");
  }

  @Test
  void open_damagedLineFollowedByOthers_isRefusedNamingTheJournal() throws Exception {
    TrustStore store = open();
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);
    byte[] bytes = Files.readAllBytes(journal());
    int secondLine = indexOfLine(bytes, 2);
    bytes[secondLine + 40] ^= 1;
    Files.write(journal(), bytes);

    assertRefused()
        .hasMessageContaining(journal().toString())
        .hasMessageContaining("line 2")
        .hasMessageContaining("move this file aside");
    assertThat(journal()).hasBinaryContent(bytes);
  }

  @Test
  void open_wholeLineThatIsNotAChange_isRefused() throws Exception {
    open().put(A, "a", Suite.HMAC, Optional.empty(), T0);
    Files.write(journal(), line("{\"put\":{\"fingerprint\":\"00\"}}"), appending());

    assertRefused().hasMessageContaining("line 3");
  }

  @Test
  void open_journalIsASymlink_isRefused() throws Exception {
    Path elsewhere = Files.writeString(dir.resolve("elsewhere"), "");
    Files.createSymbolicLink(journal(), elsewhere);

    assertRefused().hasMessageContaining(journal().toString());
  }

  @Test
  void journal_restoredWithAWiderMode_isMadePrivateAgain() throws Exception {
    open().put(A, "a", Suite.HMAC, Optional.empty(), T0);
    Files.setPosixFilePermissions(journal(), PosixFilePermissions.fromString("rw-r--r--"));

    open().put(B, "b", Suite.HMAC, Optional.empty(), T0);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(journal())))
        .isEqualTo("rw-------");
  }

  @Test
  void open_newerJournalVersion_isRefusedSayingSo() throws Exception {
    Files.write(journal(), line("{\"journal\":2,\"base\":null}"));

    assertRefused().hasMessageContaining("format version 2");
  }

  @Test
  void open_existingListWithoutJournal_isUsedAsItIs() throws Exception {
    List<TrustedPeer> listed =
        List.of(
            TrustedPeer.create(A, "a", Suite.HMAC, Optional.empty(), T0),
            TrustedPeer.create(B, "b", Suite.SPAKE2, Optional.of("Bee"), T0.plusSeconds(1)));
    byte[] written = TrustFiles.encodeJson(listed);
    Files.write(json(), written);

    TrustStore store = open();
    store.put(C, "c", Suite.HMAC, Optional.empty(), T0.plusSeconds(2));

    assertThat(json()).as("a change leaves trusted.json alone").hasBinaryContent(written);
    assertThat(open().list()).extracting(TrustedPeer::host).containsExactly("a", "b", "c");
  }

  @Test
  void compaction_writesTheListAndEmptiesTheJournal() throws Exception {
    TrustStore store = open(2);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);
    assertThat(json()).doesNotExist();

    store.put(C, "c", Suite.HMAC, Optional.empty(), T0);

    assertThat(journal()).isEmptyFile();
    assertThat(TrustFiles.decodeJson(json(), Files.readAllBytes(json()))).isEqualTo(store.list());
  }

  @Test
  void close_compacts_soThatAProgramReadingOnlyTheListSeesEveryChange() throws Exception {
    TrustStore store = open();
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);

    store.close();

    assertThat(journal()).isEmptyFile();
    assertThat(TrustFiles.decodeJson(json(), Files.readAllBytes(json()))).isEqualTo(store.list());
    assertThatThrownBy(() -> store.put(C, "c", Suite.HMAC, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));
  }

  @Test
  void open_crashBetweenCompactionsSteps_replaysHarmlessly() throws Exception {
    TrustStore store = open();
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);
    store.remove(Certificates.fingerprint(A));
    byte[] journalBeforeCompaction = Files.readAllBytes(journal());
    store.close();
    // The list was written, the journal not yet emptied.
    Files.write(journal(), journalBeforeCompaction);

    TrustStore reopened = open();

    assertThat(reopened.list()).isEqualTo(store.list());
    assertThat(journal()).as("its changes are in the list already").isEmptyFile();
    reopened.put(C, "c", Suite.HMAC, Optional.empty(), T0);
    assertThat(open().list()).extracting(TrustedPeer::host).containsExactlyInAnyOrder("b", "c");
  }

  @Test
  void open_journalOfAnotherList_thatWouldChangeIt_isRefused() throws Exception {
    TrustStore store = open();
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    byte[] leftByACrash = Files.readAllBytes(journal());
    // An older paird, which ignores the journal, then changed the list on its own.
    Files.write(
        json(),
        TrustFiles.encodeJson(
            List.of(TrustedPeer.create(B, "b", Suite.HMAC, Optional.empty(), T0))));
    Files.write(journal(), leftByACrash);

    assertRefused().hasMessageContaining("changed since without them");
  }

  @Test
  void open_journalBeyondThePeerCap_isReplayedWhole() throws Exception {
    TrustStore store = open();
    for (X509Certificate certificate : CERTS) {
      store.put(certificate, "h", Suite.HMAC, Optional.empty(), T0);
    }

    TrustStore capped =
        TrustStore.open(
            dir, 2, TrustStore.MAX_FILE_BYTES, AtomicFiles::write, AtomicFiles::replace, 1_000);

    assertThat(capped.list()).hasSize(CERTS.size());
    assertThatThrownBy(
            () ->
                capped.put(
                    TestCertificates.selfSigned("one more"), "h", Suite.HMAC, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_REACHED));
  }

  @Test
  void line_ofTheLargestPeer_boundsWhatItAddsToTheList() throws Exception {
    TrustedPeer peer =
        TrustedPeer.create(A, "h".repeat(253), Suite.SPAKE2, Optional.of("l".repeat(64)), T0);
    int alone = TrustFiles.encodeJson(List.of()).length;

    int added =
        TrustFiles.encodeJson(List.of(peer, peer(B))).length
            - alone
            - (TrustFiles.encodeJson(List.of(peer(B))).length - alone);

    assertThat(added)
        .isLessThanOrEqualTo(
            TrustJournal.line(new TrustJournal.Put(peer)).length + TrustStore.PRETTY_OVERHEAD);
  }

  private static TrustedPeer peer(X509Certificate certificate) {
    return TrustedPeer.create(certificate, "x", Suite.HMAC, Optional.empty(), T0);
  }

  private AbstractThrowableAssert<?, ? extends Throwable> assertRefused() {
    return assertThatThrownBy(this::open)
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STATE_INVALID));
  }

  /** A journal line with a correct checksum around {@code json}. */
  private static byte[] line(String json) {
    CRC32C crc = new CRC32C();
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    crc.update(bytes);
    return (String.format(Locale.ROOT, "%08x ", crc.getValue()) + json + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static OpenOption[] appending() {
    return new OpenOption[] {StandardOpenOption.APPEND};
  }

  /** Where line {@code n} (from 1) starts. */
  private static int indexOfLine(byte[] bytes, int n) {
    int line = 1;
    for (int i = 0; i < bytes.length && line < n; i++) {
      if (bytes[i] == '\n') {
        line++;
        if (line == n) {
          return i + 1;
        }
      }
    }
    throw new IllegalArgumentException("no line " + n);
  }
}
