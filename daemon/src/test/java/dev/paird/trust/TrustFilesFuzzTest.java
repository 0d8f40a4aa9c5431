package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import dev.paird.testing.Mutations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trusted.json} and {@code trusted.journal} as a damaged disk leaves them: cut at every
 * byte, bits flipped, ranges zeroed, lines repeated in place, garbage inserted, with fixed seeds.
 *
 * <p>What must hold (docs/SECURITY.md, docs/INTEGRATION.md): a journal cut short keeps exactly its
 * whole lines; any other damage either reads as a list the files held at some point (the list, then
 * after each of the journal's changes), or is refused with {@code state_invalid} naming the file
 * and saying what to do. No other exception, no hang, and never a certificate the valid files did
 * not trust.
 */
@Timeout(60)
final class TrustFilesFuzzTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  @TempDir Path dir;

  private final Path jsonFile = Path.of("/state/trusted.json");
  private final Path journalFile = Path.of("/state/trusted.journal");
  private byte[] json;
  private byte[] journal;

  /** The list as trusted.json holds it, then after each change of the journal. */
  private final List<List<TrustedPeer>> states = new ArrayList<>();

  /** Every certificate any state trusts, by fingerprint. */
  private final Map<String, TrustedPeer> everTrusted = new HashMap<>();

  @BeforeEach
  void writeValidFiles() throws Exception {
    Path valid = Files.createDirectories(dir.resolve("valid"));
    List<X509Certificate> certificates = TestCertificates.selfSigned("fuzz", 4);
    TrustStore store = TrustStore.open(valid);
    store.put(certificates.get(0), "one.local", Suite.HMAC, Optional.of("One"), T0);
    store.put(certificates.get(1), "two.local", Suite.SPAKE2, Optional.empty(), T0);
    store.close(); // writes the list into trusted.json, and empties the journal
    json = Files.readAllBytes(valid.resolve(TrustFiles.JSON_NAME));
    TrustStore changing = TrustStore.open(valid);
    record(changing.list());
    changing.put(certificates.get(2), "10.0.0.3", Suite.SPAKE2, Optional.of("Three"), T0);
    record(changing.list());
    changing.remove(changing.list().get(0).fingerprint());
    record(changing.list());
    changing.put(
        certificates.get(1), "two.example", Suite.HMAC, Optional.of("Two"), T0.plusSeconds(60));
    record(changing.list());
    changing.put(certificates.get(3), "four.local", Suite.HMAC, Optional.empty(), T0);
    record(changing.list());
    // Not closed: a clean stop would write the changes into trusted.json.
    journal = Files.readAllBytes(valid.resolve(TrustJournal.NAME));
    assertThat(lines(journal)).hasSize(5);
  }

  private void record(List<TrustedPeer> state) {
    states.add(List.copyOf(state));
    state.forEach(peer -> everTrusted.put(peer.fingerprint(), peer));
  }

  @Test
  void trustedJson_cutAtEveryByte_isRefusedNamingTheFile() {
    for (int cut = 0; cut < json.length; cut++) {
      byte[] bytes = java.util.Arrays.copyOf(json, cut);
      Optional<List<TrustedPeer>> read = decodeJson(bytes);
      if (cut == json.length - 1) {
        assertThat(read).as("without its last newline").contains(states.get(0));
      } else {
        assertThat(read).as("cut at %d of %d", cut, json.length).isEmpty();
      }
    }
  }

  @Test
  void trustedJson_damaged_readsOnlyItsOwnCertificates_orIsRefused() {
    Random random = new Random(0x7a57_0001L);
    int read = 0;
    for (int i = 0; i < 6_000; i++) {
      byte[] bytes = damage(random, json);
      Optional<List<TrustedPeer>> peers = decodeJson(bytes);
      if (peers.isPresent()) {
        read++;
        assertOnlyListed(peers.get(), states.get(0));
      }
    }
    assertThat(read).as("damage that still reads").isGreaterThan(10);
  }

  @Test
  void journal_cutAtEveryByte_keepsExactlyItsWholeLines() throws Exception {
    List<Integer> ends = new ArrayList<>();
    for (int i = 0; i < journal.length; i++) {
      if (journal[i] == '\n') {
        ends.add(i + 1);
      }
    }
    for (int cut = 0; cut <= journal.length; cut++) {
      TrustJournal.Contents contents =
          TrustJournal.parse(journalFile, java.util.Arrays.copyOf(journal, cut));
      int whole = 0;
      while (whole < ends.size() && ends.get(whole) <= cut) {
        whole++;
      }
      int kept = whole == 0 ? 0 : ends.get(whole - 1);
      assertThat(contents.length()).as("cut at %d", cut).isEqualTo(kept);
      assertThat(contents.torn()).as("cut at %d", cut).isEqualTo(kept != cut);
      assertThat(contents.changes()).hasSize(Math.max(0, whole - 1));
      assertThat(TrustStore.replay(states.get(0), contents.changes()))
          .isEqualTo(states.get(Math.max(0, whole - 1)));
    }
  }

  @Test
  void journal_damaged_replaysToAListItHeld_orIsRefused() {
    Random random = new Random(0x7a57_0002L);
    int read = 0;
    int refused = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] bytes = damage(random, journal);
      try {
        TrustJournal.Contents contents = TrustJournal.parse(journalFile, bytes);
        assertThat(states)
            .as("a list the files held")
            .contains(TrustStore.replay(states.get(0), contents.changes()));
        assertThat(contents.length()).isBetween(0, bytes.length);
        read++;
      } catch (PairdException e) {
        assertRefusal(e, journalFile);
        refused++;
      }
    }
    assertThat(read).isGreaterThan(1_000);
    assertThat(refused).isGreaterThan(1_000);
  }

  /**
   * The whole of {@link TrustStore#open} on damaged files in a state directory: refused naming the
   * file, or opened with a list the files held; a torn journal tail is cut off the file, and the
   * next start reads the same list.
   */
  @Test
  void open_damagedFiles_opensAListTheyHeld_orRefusesNamingTheFile() throws Exception {
    Random random = new Random(0x7a57_0003L);
    for (int i = 0; i < 60; i++) {
      Path state = Files.createDirectories(dir.resolve("case" + i));
      boolean damagedList = random.nextInt(3) == 0;
      Files.write(state.resolve(TrustFiles.JSON_NAME), damagedList ? damage(random, json) : json);
      byte[] journalBytes = damagedList ? journal : damage(random, journal);
      if (damagedList && random.nextBoolean()) {
        journalBytes = new byte[0];
      }
      Files.write(state.resolve(TrustJournal.NAME), journalBytes);
      TrustStore store;
      try {
        store = TrustStore.open(state);
      } catch (PairdException e) {
        assertThat(e.code())
            .as("case %d: %s", i, e.getMessage())
            .isEqualTo(ErrorCode.STATE_INVALID);
        assertThat(e.getMessage()).contains(state.toString());
        continue;
      }
      List<TrustedPeer> opened = store.list();
      if (damagedList) {
        // The journal follows the undamaged list: with changes it is refused, or its changes
        // are already in the list it was compacted into; without them the list is as read.
        assertOnlyListed(opened, everTrusted.values().stream().toList());
      } else {
        assertThat(states).as("case %d", i).contains(opened);
        byte[] left = Files.readAllBytes(state.resolve(TrustJournal.NAME));
        assertThat(left.length == 0 || left[left.length - 1] == '\n')
            .as("case %d: the journal holds whole lines only", i)
            .isTrue();
      }
      store.close();
      assertThat(TrustStore.open(state).list()).as("case %d, opened again", i).isEqualTo(opened);
    }
  }

  /** The list in {@code bytes}, or empty if it was refused as {@code state_invalid} should be. */
  private Optional<List<TrustedPeer>> decodeJson(byte[] bytes) {
    try {
      return Optional.of(TrustFiles.decodeJson(jsonFile, bytes));
    } catch (PairdException e) {
      assertRefusal(e, jsonFile);
      return Optional.empty();
    }
  }

  private static void assertRefusal(PairdException e, Path file) {
    assertThat(e.code()).isEqualTo(ErrorCode.STATE_INVALID);
    assertThat(e.getMessage())
        .startsWith("the trusted-peer list " + file + " is unusable: ")
        .containsAnyOf("Restore", "Run that paird", "Move this file aside")
        // paird's words alone: no Java exception text, the JDK's or a library's.
        .doesNotContain("Exception")
        .doesNotContain("java.");
  }

  /** Every peer of {@code read} is one of {@code listed}'s certificates, each once. */
  private static void assertOnlyListed(List<TrustedPeer> read, List<TrustedPeer> listed) {
    Map<String, TrustedPeer> byFingerprint = new HashMap<>();
    listed.forEach(peer -> byFingerprint.put(peer.fingerprint(), peer));
    assertThat(read).extracting(TrustedPeer::fingerprint).doesNotHaveDuplicates();
    for (TrustedPeer peer : read) {
      assertThat(byFingerprint).containsKey(peer.fingerprint());
      assertThat(peer.encoded()).isEqualTo(byFingerprint.get(peer.fingerprint()).encoded());
      assertThat(peer.subject()).isEqualTo(byFingerprint.get(peer.fingerprint()).subject());
    }
  }

  /** {@code valid} as a failing disk might leave it: one to three kinds of damage. */
  private static byte[] damage(Random random, byte[] valid) {
    byte[] bytes = valid.clone();
    for (int m = 1 + random.nextInt(3); m > 0; m--) {
      int at = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
      switch (random.nextInt(6)) {
        case 0 -> bytes = java.util.Arrays.copyOf(bytes, at);
        case 1 -> {
          if (bytes.length > 0) {
            bytes[at] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case 2 -> { // a zeroed range, as a lost block reads back
          int end = Math.min(bytes.length, at + 1 + random.nextInt(600));
          java.util.Arrays.fill(bytes, at, end, (byte) 0);
        }
        case 3 -> bytes = repeatLine(random, bytes);
        case 4 -> {
          byte[] garbage = new byte[1 + random.nextInt(12)];
          random.nextBytes(garbage);
          bytes = Mutations.splice(bytes, at, at, garbage);
        }
        default -> { // a byte set to one that means something to JSON or to the journal
          byte[] special = {'\n', '"', '{', '}', '[', ']', ',', ':', '\\', ' ', '0', 'f', 0};
          if (bytes.length > 0) {
            bytes[at] = special[random.nextInt(special.length)];
          }
        }
      }
    }
    return bytes;
  }

  /** {@code bytes} with one of its lines written twice, the copy right after it. */
  private static byte[] repeatLine(Random random, byte[] bytes) {
    List<int[]> lines = lines(bytes);
    if (lines.isEmpty()) {
      return bytes;
    }
    int[] line = lines.get(random.nextInt(lines.size()));
    return Mutations.splice(
        bytes, line[1], line[1], java.util.Arrays.copyOfRange(bytes, line[0], line[1]));
  }

  /** The start and end (after its newline) of each whole line. */
  private static List<int[]> lines(byte[] bytes) {
    List<int[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        lines.add(new int[] {start, i + 1});
        start = i + 1;
      }
    }
    return lines;
  }
}
