package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ControlProtocol.Command;
import dev.paird.config.PairdConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * INTEGRATION.md, section 3: two real paird processes, each given {@code PAIRD_TRUST_CHANGED_FLAG}
 * as its systemd unit gives it, create that file whenever their outputs change (a pairing on both
 * devices, a removal on the device that removes), and not for a re-pairing, which leaves the
 * outputs as they are. Only the files are checked, as paird-trust-changed sees them; and a flag
 * path that is not absolute stops paird at start-up.
 */
final class TrustChangedFlagIT {
  @TempDir Path dir;

  private final List<PairdProcess> started = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (PairdProcess paird : started) {
      paird.close();
    }
  }

  @Test
  void pairingAndRemoving_raiseTheFlag_rePairingDoesNot() throws Exception {
    Path flagA = Files.createDirectories(dir.resolve("flags-a")).resolve("changed");
    Path flagB = Files.createDirectories(dir.resolve("flags-b")).resolve("changed");
    PairdProcess.Options a = withFlag(PairdProcess.in(dir.resolve("a")), flagA);
    PairdProcess.Options b = withFlag(PairdProcess.in(dir.resolve("b")), flagB);
    started.add(a.launch());
    started.add(b.launch());
    for (PairdProcess paird : started) {
      paird.awaitReady();
    }
    // A first start writes the outputs of an empty list, and raises the flags for it.
    Files.deleteIfExists(flagA);
    Files.deleteIfExists(flagB);
    String addressA = a.pairctl().look(Command.STATUS).path("listen").textValue();
    String fingerprintB = b.pairctl().look(Command.STATUS).path("fingerprint").textValue();

    assertPaired(b, a, addressA);

    assertThat(flagA).as("the flag of the device that made the key").isRegularFile().isEmptyFile();
    assertThat(flagB).as("the flag of the device that typed it").isRegularFile().isEmptyFile();

    Files.delete(flagA);
    Files.delete(flagB);
    assertPaired(b, a, addressA);

    assertThat(flagA).as("after a re-pairing, on the device that made the key").doesNotExist();
    assertThat(flagB).as("after a re-pairing, on the device that typed it").doesNotExist();

    Pairctl.Result remove = a.pairctl().run("remove", fingerprintB);

    assertThat(remove.status()).as(remove.err()).isZero();
    assertThat(flagA).as("after a removal").isRegularFile().isEmptyFile();
    assertThat(flagB).as("the other device changed nothing").doesNotExist();
  }

  @Test
  void relativeFlagPath_stopsPaird_withExit78NamingTheVariable() throws Exception {
    PairdProcess paird =
        PairdProcess.in(dir)
            .wrapper(List.of("env", PairdConfig.TRUST_CHANGED_FLAG + "=pending/changed"))
            .launch();
    started.add(paird);

    assertThat(paird.awaitExit()).as(paird.log()).isEqualTo(Paird.EXIT_CONFIG);
    assertThat(paird.log()).contains(PairdConfig.TRUST_CHANGED_FLAG);
    assertThat(dir.resolve("state")).as("refused before touching the state").doesNotExist();
  }

  private static PairdProcess.Options withFlag(PairdProcess.Options options, Path flag) {
    return options.wrapper(List.of("env", PairdConfig.TRUST_CHANGED_FLAG + "=" + flag));
  }

  /** {@code pairctl pair} on {@code client} with a new key of {@code server}, which succeeds. */
  private static void assertPaired(
      PairdProcess.Options client, PairdProcess.Options server, String serverAddress)
      throws Exception {
    String key = server.pairctl().json("new-key").path("key").textValue();
    Pairctl.Result pair = client.pairctl().run("pair", serverAddress, key);
    assertThat(pair.status()).as(pair.err()).isZero();
  }
}
