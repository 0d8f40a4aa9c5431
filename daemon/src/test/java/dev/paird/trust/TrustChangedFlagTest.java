package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * The trust-changed flag: raised after every change that replaces the outputs, after a failed one
 * that put them back, and at start-up when an output had to be rewritten; never for a re-pairing or
 * an unchanged start. An empty regular file, created without following a link or opening what is in
 * its place; a flag that cannot be raised costs one warning per run of failures, and the change
 * stands.
 */
final class TrustChangedFlagTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final List<X509Certificate> CERTS = TestCertificates.selfSigned("flag", 3);
  private static final X509Certificate A = CERTS.get(0);
  private static final X509Certificate B = CERTS.get(1);
  private static final X509Certificate C = CERTS.get(2);

  @TempDir Path dir;

  private Path state;
  private Path pending;
  private Path flag;

  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(TrustChangedFlag.class);

  @BeforeEach
  void directories() throws IOException {
    state = Files.createDirectory(dir.resolve("state"));
    pending = Files.createDirectory(dir.resolve("pending"));
    flag = pending.resolve("changed");
    log.start();
    logger.addAppender(log);
  }

  @AfterEach
  void detachLog() {
    logger.detachAppender(log);
  }

  private TrustStore open() throws PairdException {
    return TrustStore.open(state, 10, TrustChangedFlag.at(flag));
  }

  /** A store whose first start has written (and flagged) the outputs, the flag taken down. */
  private TrustStore opened() throws Exception {
    TrustStore store = open();
    Files.deleteIfExists(flag);
    return store;
  }

  @Test
  void open_firstStart_raisesTheFlagForTheOutputsItWrites() throws Exception {
    open();

    assertThat(flag).isRegularFile().isEmptyFile();
  }

  @Test
  void put_newPeer_raisesTheFlag_anEmptyFileNobodyElseMayWrite() throws Exception {
    TrustStore store = opened();

    store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0);

    assertThat(flag).isRegularFile().isEmptyFile();
    assertThat(PosixFilePermissions.fromString("rw-r--r--"))
        .containsAll(Files.getPosixFilePermissions(flag, LinkOption.NOFOLLOW_LINKS));
    assertThat(warnings()).isEmpty();
  }

  @Test
  void put_samePeerAgain_leavesTheOutputs_andRaisesNothing() throws Exception {
    TrustStore store = opened();
    store.put(A, "a", Suite.SPAKE2, Optional.of("Laptop"), T0);
    Files.delete(flag);

    TrustedPeer again = store.put(A, "elsewhere", Suite.HMAC, Optional.of("Work"), T0);

    assertThat(again.label()).contains("Work");
    assertThat(flag).doesNotExist();
  }

  @Test
  void remove_raisesTheFlag_removingNobodyDoesNot() throws Exception {
    TrustStore store = opened();
    store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0);
    Files.delete(flag);

    assertThat(store.remove(Certificates.fingerprint(B))).isEmpty();
    assertThat(flag).doesNotExist();

    assertThat(store.remove(Certificates.fingerprint(A))).isPresent();
    assertThat(flag).isRegularFile().isEmptyFile();
  }

  @Test
  void put_flagAlreadyRaised_isLeftAsItIs() throws Exception {
    TrustStore store = opened();
    Files.writeString(flag, "not paird's");

    store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0);

    assertThat(flag).hasContent("not paird's");
    assertThat(warnings()).isEmpty();
  }

  @Test
  void put_linkInPlaceOfTheFlag_isNotFollowed_andThePeerIsTrusted() throws Exception {
    TrustStore store = opened();
    Path target = dir.resolve("target");
    Files.createSymbolicLink(flag, target);

    TrustedPeer peer = store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0);

    assertThat(target).doesNotExist();
    assertThat(flag).isSymbolicLink();
    assertThat(open().list()).containsExactly(peer);
    assertThat(warnings()).singleElement().asString().contains(flag.toString(), "symbolic link");
  }

  /** O_WRONLY on a FIFO waits for a reader: the store's thread would wait for good. */
  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void put_fifoInPlaceOfTheFlag_isNotOpened_andThePeerIsTrusted() throws Exception {
    TrustStore store = opened();
    Process mkfifo = new ProcessBuilder("mkfifo", flag.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor()).isZero();

    TrustedPeer peer = store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0);

    assertThat(store.list()).containsExactly(peer);
    assertThat(warnings()).singleElement().asString().contains(flag.toString());
  }

  @Test
  void changes_flagDirectoryMissing_warnOncePerRunOfFailures_andStand() throws Exception {
    Files.delete(pending);
    TrustStore store = open();
    store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0);
    store.put(B, "b", Suite.SPAKE2, Optional.empty(), T0);
    store.remove(Certificates.fingerprint(A));

    // Opened without the flag: start-up writes the outputs whole again, and would raise it.
    assertThat(TrustStore.open(state).list())
        .extracting(TrustedPeer::fingerprint)
        .containsExactly(Certificates.fingerprint(B));
    assertThat(warnings())
        .singleElement()
        .asString()
        .contains(flag.toString(), "its directory " + pending + " does not exist")
        .doesNotContain("Exception");

    Files.createDirectory(pending);
    store.put(C, "c", Suite.SPAKE2, Optional.empty(), T0);
    assertThat(flag).isRegularFile();
    Files.delete(flag);
    Files.delete(pending);
    store.remove(Certificates.fingerprint(C));

    assertThat(warnings()).hasSize(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"damaged trusted.pem", "no trusted.p12", "a HASH.N missing", "stale"})
  void open_outputToRepair_raisesTheFlag(String damage) throws Exception {
    TrustStore store = opened();
    store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0);
    store.put(B, "b", Suite.SPAKE2, Optional.empty(), T0);
    Files.delete(flag);
    Path capath = state.resolve(ConsumerFiles.CAPATH_NAME);
    Path first;
    try (Stream<Path> files = Files.list(capath)) {
      first = files.sorted().findFirst().orElseThrow();
    }
    switch (damage) {
      case "damaged trusted.pem" ->
          Files.writeString(
              state.resolve(TrustFiles.PEM_NAME), "# not a peer\n", StandardOpenOption.APPEND);
      case "no trusted.p12" -> Files.delete(state.resolve(ConsumerFiles.PKCS12_NAME));
      case "a HASH.N missing" -> Files.delete(first);
      default -> Files.copy(first, capath.resolve("deadbeef.0"));
    }

    open();

    assertThat(flag).isRegularFile().isEmptyFile();
  }

  @Test
  void open_outputsAsTheListSays_raisesNothing() throws Exception {
    TrustStore store = opened();
    store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0);
    store.close();
    Files.delete(flag);

    open();

    assertThat(flag).doesNotExist();
  }

  @Test
  void put_lastOutputFails_raisesTheFlagOnceTheOthersArePutBack() throws Exception {
    TrustStore store = openFailingOnce(ConsumerFiles.PKCS12_NAME);

    assertThatThrownBy(() -> store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));

    assertThat(store.list()).isEmpty();
    assertThat(flag).isRegularFile();
  }

  @Test
  void put_firstOutputFailsBeforeReplacingIt_raisesNothing() throws Exception {
    TrustStore store = openFailingOnce(TrustFiles.PEM_NAME);

    assertThatThrownBy(() -> store.put(A, "a", Suite.SPAKE2, Optional.empty(), T0))
        .isInstanceOf(PairdException.class);

    assertThat(flag).doesNotExist();
  }

  /**
   * A store, its outputs written by a first start, whose writer then fails once on the file named
   * {@code name}, before replacing it.
   */
  private TrustStore openFailingOnce(String name) throws Exception {
    open();
    boolean[] failed = {false};
    TrustStore.AtomicWriter writer =
        (target, content, permissions) -> {
          if (target.getFileName().toString().equals(name) && !failed[0]) {
            failed[0] = true;
            throw new IOException("No space left on device");
          }
          AtomicFiles.write(target, content, permissions);
        };
    TrustStore store =
        TrustStore.open(
            state,
            10,
            TrustStore.MAX_FILE_BYTES,
            writer,
            writer,
            TrustStore.MIN_COMPACT_CHANGES,
            TrustChangedFlag.at(flag));
    Files.deleteIfExists(flag);
    return store;
  }

  private List<String> warnings() {
    return log.list.stream()
        .filter(event -> event.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }
}
