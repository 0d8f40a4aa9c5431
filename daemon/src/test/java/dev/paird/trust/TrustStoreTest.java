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
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class TrustStoreTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final List<X509Certificate> CERTS = TestCertificates.selfSigned("peer", 4);
  private static final X509Certificate A = CERTS.get(0);
  private static final X509Certificate B = CERTS.get(1);
  private static final X509Certificate C = CERTS.get(2);

  @TempDir Path dir;

  /** trusted.pem in {@code dir}, where the store writes its bundle. */
  private Path bundle() {
    return dir.resolve(TrustFiles.PEM_NAME);
  }

  @Test
  void open_emptyDirectory_isEmptyAndWritesOnlyAnEmptyBundle() throws Exception {
    TrustStore store = TrustStore.open(dir);

    assertThat(store.list()).isEmpty();
    assertThat(dir.resolve("trusted.json")).doesNotExist();
    assertThat(dir.resolve("trusted.pem")).exists().isEmptyFile();
  }

  @Test
  void open_missingDirectory_failsNamingIt() {
    Path missing = dir.resolve("nope");

    assertThatThrownBy(() -> TrustStore.open(missing))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STATE_INVALID))
        .hasMessageContaining(missing.toString());
  }

  @Test
  void put_thenReopen_seesTheSameEntry() throws Exception {
    TrustStore store = TrustStore.open(dir);

    TrustedPeer put = store.put(A, "laptop.local:7301", Suite.SPAKE2, Optional.of("Laptop"), T0);

    assertThat(put.fingerprint()).isEqualTo(Certificates.fingerprint(A)).hasSize(64);
    assertThat(put.subject()).isEqualTo("CN=peer-1");
    assertThat(put.certificate()).isEqualTo(A);
    assertThat(put.host()).isEqualTo("laptop.local:7301");
    assertThat(put.suite()).isEqualTo(Suite.SPAKE2);
    assertThat(put.label()).contains("Laptop");
    assertThat(put.addedAt()).isEqualTo(T0);
    assertThat(put.updatedAt()).isEqualTo(T0);
    assertThat(store.list()).containsExactly(put);
    assertThat(store.get(put.fingerprint())).contains(put);
    assertThat(TrustStore.open(dir).list()).containsExactly(put);
  }

  @Test
  void get_acceptsUpperCaseAndColons_andRejectsOtherText() throws Exception {
    TrustStore store = TrustStore.open(dir);
    TrustedPeer peer = store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    String typed = withColons(peer.fingerprint().toUpperCase(Locale.ROOT));

    assertThat(store.get(typed)).contains(peer);
    assertThat(store.get(peer.fingerprint().substring(1))).isEmpty();
    assertThat(store.get("not a fingerprint")).isEmpty();
  }

  @Test
  void put_sameCertificateAgain_updatesInPlaceAndKeepsAddedAt() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "old-host", Suite.HMAC, Optional.of("Laptop"), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0.plusSeconds(1));

    TrustedPeer again =
        store.put(A, "new-host", Suite.SPAKE2, Optional.empty(), T0.plusSeconds(60));

    assertThat(again.host()).isEqualTo("new-host");
    assertThat(again.suite()).isEqualTo(Suite.SPAKE2);
    assertThat(again.label()).as("no new label keeps the old one").contains("Laptop");
    assertThat(again.addedAt()).isEqualTo(T0);
    assertThat(again.updatedAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(store.list()).extracting(TrustedPeer::host).containsExactly("new-host", "b");
    assertThat(TrustStore.open(dir).list()).isEqualTo(store.list());
    assertThat(TestCertificates.bundleFingerprints(bundle()))
        .containsExactly(fingerprint(A), fingerprint(B));

    TrustedPeer relabelled = store.put(A, "new-host", Suite.SPAKE2, Optional.of("Work"), T0);

    assertThat(relabelled.label()).contains("Work");
    assertThat(store.list()).hasSize(2);
  }

  @Test
  void list_isOrderedByAddedAtThenFingerprint() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(C, "c", Suite.HMAC, Optional.empty(), T0.plusSeconds(5));
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);

    List<String> expected = new ArrayList<>(List.of(fingerprint(A), fingerprint(B)));
    expected.sort(null);
    expected.add(fingerprint(C));

    assertThat(store.list()).extracting(TrustedPeer::fingerprint).isEqualTo(expected);
    assertThat(TestCertificates.bundleFingerprints(bundle())).isEqualTo(expected);
  }

  @Test
  void findByPrefix_uniqueAmbiguousAndNone() throws Exception {
    List<X509Certificate> picked = twoSharingAFirstDigitAndOneNot();
    X509Certificate first = picked.get(0);
    X509Certificate second = picked.get(1);
    X509Certificate other = picked.get(2);
    char shared = fingerprint(first).charAt(0);
    TrustStore store = TrustStore.open(dir);
    store.put(first, "first", Suite.HMAC, Optional.empty(), T0);
    store.put(second, "second", Suite.HMAC, Optional.empty(), T0.plusSeconds(1));
    TrustedPeer otherPeer =
        store.put(other, "other", Suite.HMAC, Optional.empty(), T0.plusSeconds(2));
    String otherPrefix = fingerprint(other).substring(0, 6);

    assertThat(store.findByPrefix(String.valueOf(shared)))
        .extracting(TrustedPeer::host)
        .containsExactly("first", "second");
    assertThat(store.findByPrefix(withColons(otherPrefix.toUpperCase(Locale.ROOT))))
        .containsExactly(otherPeer);
    assertThat(store.findUnique(otherPrefix)).isEqualTo(otherPeer);
    assertThatThrownBy(() -> store.findUnique(String.valueOf(shared)))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.AMBIGUOUS));
    String notHex = fingerprint(first).substring(0, 40) + "x";
    assertThat(store.findByPrefix(fingerprint(first) + "0")).isEmpty();
    assertThatThrownBy(() -> store.findUnique(fingerprint(first) + "0"))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    for (String malformed : List.of("", ":", notHex, "12 34", "\u0661\u0662")) {
      assertThatThrownBy(() -> store.findByPrefix(malformed))
          .as("prefix %s", malformed)
          .isInstanceOfSatisfying(
              PairdException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
  }

  @Test
  void remove_dropsTheEntryFromListAndBundle_untilEmpty() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    TrustedPeer b = store.put(B, "b", Suite.SPAKE2, Optional.of("B"), T0.plusSeconds(1));

    assertThat(store.remove(withColons(fingerprint(A)))).map(TrustedPeer::host).contains("a");

    assertThat(store.list()).containsExactly(b);
    assertThat(TrustStore.open(dir).list()).containsExactly(b);
    assertThat(TestCertificates.bundleFingerprints(bundle())).containsExactly(fingerprint(B));

    assertThat(store.remove(fingerprint(B))).contains(b);

    assertThat(store.list()).isEmpty();
    assertThat(TrustStore.open(dir).list()).isEmpty();
    assertThat(bundle()).isEmptyFile();
    assertThat(TestCertificates.bundleFingerprints(bundle())).isEmpty();
  }

  @Test
  void remove_unknown_returnsEmptyAndWritesNothing() throws Exception {
    TrustStore store = TrustStore.open(dir);

    assertThat(store.remove(fingerprint(A))).isEmpty();
    assertThat(store.remove("zz")).isEmpty();
    assertThat(dir.resolve("trusted.json")).doesNotExist();
  }

  @Test
  void put_whenFull_isRefusedButRepairingIsNot() throws Exception {
    TrustStore store = TrustStore.open(dir, 2);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);

    assertThatThrownBy(() -> store.put(C, "c", Suite.HMAC, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_REACHED))
        .hasMessageContaining("at most 2");
    assertThat(store.put(A, "a2", Suite.HMAC, Optional.empty(), T0).host()).isEqualTo("a2");
    assertThat(store.list()).hasSize(2);
  }

  @Test
  void requireRoom_isRefusedOnlyWhenFull() throws Exception {
    TrustStore store = TrustStore.open(dir, 2);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.requireRoom();
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);

    assertThatThrownBy(store::requireRoom)
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_REACHED));
    store.remove(store.list().get(0).fingerprint());
    store.requireRoom();
  }

  @Test
  void reserveRoomFor_aFullList_refusesANewPeer_butNotOneItHolds() throws Exception {
    TrustStore store = TrustStore.open(dir, 1);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);

    assertThatThrownBy(() -> store.reserveRoomFor(B, "b", Suite.HMAC, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_REACHED));
    store.reserveRoomFor(A, "a2", Suite.SPAKE2, Optional.empty(), T0);
  }

  private static void assertFull(ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_REACHED));
  }

  @Test
  void reserveRoomFor_holdsTheLastPlace_againstOtherPairingsAndKeys_untilItsOwnPut()
      throws Exception {
    TrustStore store = TrustStore.open(dir, 2);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);

    TrustStore.Reservation forB = store.reserveRoomFor(B, "b", Suite.HMAC, Optional.empty(), T0);

    assertThatThrownBy(() -> store.reserveRoomFor(C, "c", Suite.HMAC, Optional.empty(), T0))
        .hasMessageContaining("(1 peers and 1 being paired with, at most 2)");
    assertFull(() -> store.put(C, "c", Suite.HMAC, Optional.empty(), T0));
    assertFull(store::requireRoom);
    store.reserveRoomFor(A, "a2", Suite.HMAC, Optional.empty(), T0);

    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);
    assertThat(store.list()).hasSize(2);
    forB.release();
    store.remove(Certificates.fingerprint(A));
    store.reserveRoomFor(C, "c", Suite.HMAC, Optional.empty(), T0);
  }

  @Test
  void reservation_released_givesItsPlaceBack_once() throws Exception {
    TrustStore store = TrustStore.open(dir, 1);
    TrustStore.Reservation forA = store.reserveRoomFor(A, "a", Suite.HMAC, Optional.empty(), T0);
    assertFull(() -> store.reserveRoomFor(B, "b", Suite.HMAC, Optional.empty(), T0));

    forA.release();
    store.reserveRoomFor(B, "b", Suite.HMAC, Optional.empty(), T0);
    forA.release();

    assertFull(() -> store.reserveRoomFor(C, "c", Suite.HMAC, Optional.empty(), T0));
    assertThat(store.list()).isEmpty();
  }

  @Test
  void reservations_ofOneCertificate_shareOnePlace() throws Exception {
    TrustStore store = TrustStore.open(dir, 1);
    TrustStore.Reservation first = store.reserveRoomFor(A, "a", Suite.HMAC, Optional.empty(), T0);
    TrustStore.Reservation second = store.reserveRoomFor(A, "a", Suite.HMAC, Optional.empty(), T0);

    first.release();
    assertFull(() -> store.reserveRoomFor(B, "b", Suite.HMAC, Optional.empty(), T0));
    second.release();
    store.reserveRoomFor(B, "b", Suite.HMAC, Optional.empty(), T0);
  }

  @Test
  void put_listWouldOutgrowWhatOpenReads_isRefused() throws Exception {
    TrustStore store = TrustStore.open(dir, 10, 1500, AtomicFiles::write);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    byte[] journal = Files.readAllBytes(dir.resolve(TrustJournal.NAME));

    assertThatThrownBy(() -> store.put(B, "b", Suite.HMAC, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_REACHED))
        .hasMessageContaining("1500 bytes");
    assertThat(store.list()).hasSize(1);
    assertThat(dir.resolve(TrustJournal.NAME)).hasBinaryContent(journal);
  }

  @Test
  void jsonLength_isTheLengthOfTheEncodedList() {
    List<TrustedPeer> peers =
        List.of(
            TrustedPeer.create(A, "a", Suite.HMAC, Optional.empty(), T0),
            TrustedPeer.create(B, "b", Suite.SPAKE2, Optional.of("b"), T0));

    assertThat(TrustFiles.jsonLength(peers)).isEqualTo(TrustFiles.encodeJson(peers).length);
    assertThat(TrustFiles.jsonLength(List.of())).isEqualTo(TrustFiles.encodeJson(List.of()).length);
  }

  /**
   * The bytes a pairing's record will add are held with its place: a second pairing, or a put as
   * the server, whose certificate fits the list's byte bound alone but not beside the held one is
   * refused, naming the held bytes, until the first ends; a removal is never refused for them.
   */
  @Test
  void reserveRoomFor_holdsTheBytesOfItsRecord_againstOtherPairingsAndPuts() throws Exception {
    long heldForB = recordBound(B, "b");
    long withC = TrustFiles.jsonLength(List.of(peer(C, LONG_C)));
    int maxBytes = Math.toIntExact(withC + heldForB - 1);
    assertThat(TrustFiles.jsonLength(List.of(peer(A, "a"))) + heldForB)
        .as("A fits beside B's hold")
        .isLessThanOrEqualTo(maxBytes);
    TrustStore store = TrustStore.open(dir, 10, maxBytes, AtomicFiles::write);

    TrustStore.Reservation forB = store.reserveRoomFor(B, "b", Suite.HMAC, Optional.empty(), T0);

    assertThatThrownBy(() -> store.reserveRoomFor(C, LONG_C, Suite.HMAC, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_REACHED))
        .hasMessageContaining("with the " + heldForB + " bytes held for pairings in progress");
    assertFull(() -> store.put(C, LONG_C, Suite.HMAC, Optional.empty(), T0));
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.remove(Certificates.fingerprint(A));
    assertThat(store.list()).isEmpty();

    forB.release();
    TrustStore.Reservation forC = store.reserveRoomFor(C, LONG_C, Suite.HMAC, Optional.empty(), T0);
    store.put(C, LONG_C, Suite.HMAC, Optional.empty(), T0);
    assertThat(store.list()).extracting(TrustedPeer::host).containsExactly(LONG_C);
    forC.release();
  }

  /** C's host: its record is longer than A's, which fits beside a hold where C's does not. */
  private static final String LONG_C = "c.whose-record-is-longer-than-a-s.example";

  private static TrustedPeer peer(X509Certificate certificate, String host) {
    return TrustedPeer.create(certificate, host, Suite.HMAC, Optional.empty(), T0);
  }

  /** What a reservation holds for the record of {@code certificate}. */
  private static long recordBound(X509Certificate certificate, String host) {
    return (long) TrustJournal.line(new TrustJournal.Put(peer(certificate, host))).length
        + TrustStore.PRETTY_OVERHEAD;
  }

  @Test
  void reserveRoomFor_refusesWhatPutWouldRefuse_andWritesNothing() throws Exception {
    TrustStore store = TrustStore.open(dir, 10, 1500, AtomicFiles::write);
    store.reserveRoomFor(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    byte[] journal = Files.readAllBytes(dir.resolve(TrustJournal.NAME));

    assertThatThrownBy(() -> store.reserveRoomFor(B, "b", Suite.HMAC, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_REACHED))
        .hasMessageContaining("1500 bytes");
    store.reserveRoomFor(A, "a2", Suite.SPAKE2, Optional.of("a"), T0);
    assertThat(store.list()).hasSize(1);
    assertThat(store.list().get(0).host()).isEqualTo("a");
    assertThat(dir.resolve(TrustJournal.NAME)).hasBinaryContent(journal);
  }

  @Test
  void open_listLongerThanTheLimit_loadsItButTakesNoNewPeer() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0);

    TrustStore smaller = TrustStore.open(dir, 1);

    assertThat(smaller.list()).hasSize(2);
    assertThatThrownBy(() -> smaller.put(C, "c", Suite.HMAC, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_REACHED));
  }

  @Test
  void put_badHostOrLabel_isInvalidArgumentAndChangesNothing() throws Exception {
    TrustStore store = TrustStore.open(dir);

    for (String host : List.of("", "two words", "tab\there", "x".repeat(256))) {
      assertThatThrownBy(() -> store.put(A, host, Suite.HMAC, Optional.empty(), T0))
          .isInstanceOfSatisfying(
              PairdException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
    for (String label : List.of("", "   ", "x".repeat(65), "line\nbreak", "rtl\u202eoverride")) {
      assertThatThrownBy(() -> store.put(A, "a", Suite.HMAC, Optional.of(label), T0))
          .isInstanceOfSatisfying(
              PairdException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
    assertThat(store.list()).isEmpty();
    assertThat(dir.resolve("trusted.json")).doesNotExist();
    assertThat(
            store
                .put(A, "a", Suite.HMAC, Optional.of("Ünïcode label ✓ " + "x".repeat(48)), T0)
                .label())
        .isPresent();
  }

  @Test
  void json_isPrettySnakeCaseAndDeterministic() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.of("Bee"), T0.plusSeconds(1));
    store.close();
    byte[] written = Files.readAllBytes(store.jsonFile());
    String json = new String(written, StandardCharsets.UTF_8);

    assertThat(json)
        .startsWith("{\n  \"version\" : 1,\n  \"peers\" : [")
        .contains("\"added_at\" : \"2026-03-01T10:00:00Z\"")
        .contains("\"updated_at\" : \"2026-03-01T10:00:01Z\"")
        .contains("\"suite\" : \"spake2\"", "\"suite\" : \"hmac\"")
        .contains("\"label\" : null", "\"label\" : \"Bee\"")
        .contains("\"certificate\" : \"-----BEGIN CERTIFICATE-----\\n")
        .endsWith("}\n");
    assertThat(TrustFiles.encodeJson(TrustStore.open(dir).list())).isEqualTo(written);
  }

  @Test
  void files_haveTheirPermissions() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);

    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve(TrustJournal.NAME))))
        .isEqualTo("rw-------");
    store.close();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.jsonFile())))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(bundle())))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void bundle_subjectWithLineBreaks_cannotAddACertificate() throws Exception {
    String injected = "x\n-----END CERTIFICATE-----\n" + Certificates.toPem(B) + "# ";
    X509Certificate sneaky = TestCertificates.selfSigned(injected);
    TrustStore store = TrustStore.open(dir);

    TrustedPeer peer = store.put(sneaky, "sneaky", Suite.HMAC, Optional.empty(), T0);

    assertThat(peer.subject()).contains("\n");
    assertThat(TestCertificates.bundleFingerprints(bundle())).containsExactly(fingerprint(sneaky));
    List<String> lines = Files.readAllLines(bundle());
    assertThat(lines.get(0))
        .startsWith("# " + fingerprint(sneaky) + " CN=x\\x0a-\\x2d-\\x2d-END")
        .doesNotContain("--");
    assertThat(lines).filteredOn(line -> line.startsWith("-----BEGIN")).hasSize(1);
    String ownPemLine = Certificates.toPem(sneaky).split("\n", -1)[1];
    assertThat(peer.toString()).doesNotContain("\n").doesNotContain(ownPemLine);
  }

  @Test
  void open_staleOrMissingBundle_isRewritten() throws Exception {
    TrustStore store = TrustStore.open(dir);
    store.put(A, "a", Suite.HMAC, Optional.empty(), T0);
    store.put(B, "b", Suite.HMAC, Optional.empty(), T0.plusSeconds(1));
    byte[] current = Files.readAllBytes(bundle());

    Files.write(bundle(), TrustFiles.encodePem(store.list().subList(0, 1)));
    TrustStore.open(dir);
    assertThat(bundle()).hasBinaryContent(current);

    Files.delete(bundle());
    TrustStore.open(dir);
    assertThat(bundle()).hasBinaryContent(current);

    Files.write(bundle(), "garbage".getBytes(StandardCharsets.US_ASCII));
    TrustStore.open(dir);
    assertThat(bundle()).hasBinaryContent(current);
  }

  @Test
  void put_fromManyThreads_keepsEveryChange() throws Exception {
    TrustStore store = TrustStore.open(dir);
    List<X509Certificate> many = TestCertificates.selfSigned("thread", 16);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<TrustedPeer>> puts = new ArrayList<>();
      for (int i = 0; i < many.size(); i++) {
        X509Certificate certificate = many.get(i);
        Instant at = T0.plusSeconds(i);
        puts.add(pool.submit(() -> store.put(certificate, "h", Suite.HMAC, Optional.empty(), at)));
      }
      for (Future<TrustedPeer> put : puts) {
        put.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(store.list()).hasSize(16);
    assertThat(TrustStore.open(dir).list()).isEqualTo(store.list());
    assertThat(TestCertificates.bundleFingerprints(bundle()))
        .isEqualTo(store.list().stream().map(TrustedPeer::fingerprint).toList());
  }

  /** Two certificates whose fingerprints share a first digit and one whose does not. */
  private static List<X509Certificate> twoSharingAFirstDigitAndOneNot() {
    // Among 17 fingerprints two share a first hex digit; among 2 with different ones, one differs.
    Map<Character, X509Certificate> byFirstDigit = new HashMap<>();
    for (int i = 0; ; i++) {
      X509Certificate candidate = TestCertificates.selfSigned("prefix-" + i);
      char digit = fingerprint(candidate).charAt(0);
      X509Certificate earlier = byFirstDigit.putIfAbsent(digit, candidate);
      if (earlier != null && byFirstDigit.size() > 1) {
        X509Certificate other =
            byFirstDigit.entrySet().stream()
                .filter(entry -> entry.getKey() != digit)
                .findFirst()
                .orElseThrow()
                .getValue();
        return List.of(earlier, candidate, other);
      }
    }
  }

  private static String fingerprint(X509Certificate certificate) {
    return Certificates.fingerprint(certificate);
  }

  private static String withColons(String hex) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < hex.length(); i += 2) {
      if (i > 0) {
        out.append(':');
      }
      out.append(hex, i, Math.min(i + 2, hex.length()));
    }
    return out.toString();
  }
}
