package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.paird.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mosquitto recipe of docs/INTEGRATION.md, run as written over loopback: the broker takes
 * client certificates from {@code trusted-certs/}; {@code mosquitto_pub} as the paired device,
 * checking the broker against its own {@code trusted.pem}, publishes with QoS 1, so its success
 * means the broker accepted the connection and the message. Skipped where mosquitto is not
 * installed.
 */
final class MosquittoRecipeTest {
  private static final Path MOSQUITTO = Path.of("/usr/sbin/mosquitto");
  private static final Path MOSQUITTO_PUB = Path.of("/usr/bin/mosquitto_pub");

  /** A fixed port, because the broker's configuration names one. */
  private static final int PORT = 42611;

  @TempDir Path dir;
  private Process mosquitto;

  @AfterEach
  void stop() throws InterruptedException {
    if (mosquitto != null) {
      RecipeServers.stop(mosquitto);
      mosquitto = null;
    }
  }

  @Test
  void mosquitto_pairedClientPublishes_andAnUnpairedOneCannot() throws Exception {
    assumeThat(Files.isExecutable(MOSQUITTO)).as("mosquitto is installed").isTrue();
    assumeThat(Files.isExecutable(MOSQUITTO_PUB)).as("mosquitto-clients is installed").isTrue();
    // mosquitto_pub checks the broker's certificate against the address it connects to.
    Path a = RecipeDevices.device(dir, "kitchen-pi", List.of("127.0.0.1"));
    Path b = RecipeDevices.device(dir, "laptop");
    Path stranger = RecipeDevices.device(dir, "stranger");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(b, a);
    RecipeDevices.trust(stranger, a);
    startMosquitto(a);

    Processes.Result paired = publish(b);
    assertThat(paired.exitStatus()).as("the paired device: %s", paired.output()).isZero();
    Processes.Result unpaired = publish(stranger);
    assertThat(unpaired.exitStatus()).as("an unpaired device: %s", unpaired.output()).isNotZero();
  }

  @Test
  void mosquitto_removedDevice_isRefusedAfterTheRecipesRestart() throws Exception {
    assumeThat(Files.isExecutable(MOSQUITTO)).as("mosquitto is installed").isTrue();
    assumeThat(Files.isExecutable(MOSQUITTO_PUB)).as("mosquitto-clients is installed").isTrue();
    Path a = RecipeDevices.device(dir, "kitchen-pi", List.of("127.0.0.1"));
    Path b = RecipeDevices.device(dir, "laptop");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(b, a);
    startMosquitto(a);
    Processes.Result before = publish(b);
    assertThat(before.exitStatus()).as("while paired: %s", before.output()).isZero();

    RecipeDevices.untrust(a, b);
    // What the recipe's trust-changed program does: SIGHUP would not forget the device.
    stop();
    startMosquitto(a);

    Processes.Result after = publish(b);
    assertThat(after.exitStatus()).as("once removed: %s", after.output()).isNotZero();
  }

  private void startMosquitto(Path server) throws Exception {
    Path config = dir.resolve("mosquitto.conf");
    Files.writeString(
        config,
        String.join(
            "\n",
            // The recipe's lines, bound to loopback and to a port of the test's.
            "listener " + PORT + " 127.0.0.1",
            "certfile " + server.resolve("identity/cert.pem"),
            "keyfile  " + server.resolve("identity/key.pem"),
            "capath   " + server.resolve("trusted-certs"),
            "require_certificate true",
            "use_identity_as_username true",
            // Started as root, mosquitto would become the mosquitto user, which cannot read the
            // test's directory; it ignores this line otherwise.
            "user " + System.getProperty("user.name"),
            ""));
    mosquitto =
        new ProcessBuilder(MOSQUITTO.toString(), "-c", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("mosquitto.log").toFile())
            .start();
    RecipeServers.awaitListening(mosquitto, PORT, dir.resolve("mosquitto.log"));
  }

  /** A QoS 1 publication by {@code device}, which waits for the broker's acknowledgement. */
  private static Processes.Result publish(Path device) {
    return Processes.run(
        MOSQUITTO_PUB.toString(),
        "-h",
        "127.0.0.1",
        "-p",
        Integer.toString(PORT),
        "--cafile",
        device.resolve("trusted.pem").toString(),
        "--cert",
        device.resolve("identity/cert.pem").toString(),
        "--key",
        device.resolve("identity/key.pem").toString(),
        "-q",
        "1",
        "-t",
        "paird/test",
        "-m",
        "hello");
  }
}
