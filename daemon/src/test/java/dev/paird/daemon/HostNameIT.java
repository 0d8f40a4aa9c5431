package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.daemon.Pairctl.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A device whose host name the other device cannot use: {@code pairctl new-key} asks for this
 * device's address instead of telling the user to type a name that would fail or, worse, name the
 * other device itself. A real paird with its own host name (a UTS namespace, so root only) and
 * generating its identity from it, as a first start does.
 */
final class HostNameIT {
  @TempDir Path dir;
  @RegisterExtension final StartedPairds started = new StartedPairds();

  @BeforeEach
  void root() throws Exception {
    assumeTrue(
        Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0),
        "needs root to give paird a host name of its own");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "localhost|, would name the other device itself.",
        "my host|, cannot be typed there as a host.",
        "kitchen-pi|"
      })
  void newKey_tellsTheOtherDeviceWhatItCanType(String hostName, String why) throws Exception {
    // unshare runs sh in a new UTS namespace; sh names it and then becomes paird.
    PairdProcess.Options options =
        PairdProcess.in(dir)
            .wrapper(
                List.of(
                    "unshare",
                    "--uts",
                    "sh",
                    "-c",
                    "printf %s \"$1\" >/proc/sys/kernel/hostname && shift && exec \"$@\"",
                    "sh",
                    hostName));
    started.add(options.start());

    Result issued = options.pairctl().run("new-key");

    assertThat(issued.status()).as(issued.err()).isZero();
    String port =
        options
            .pairctl()
            .look(dev.paird.api.ControlProtocol.Command.STATUS)
            .path("listen")
            .textValue()
            .replaceAll(".*:", "");
    if (why == null) {
      assertThat(issued.out()).contains("    pairctl pair " + hostName + ":" + port + "\n");
    } else {
      assertThat(issued.out())
          .contains(
              "    pairctl pair ADDRESS:"
                  + port
                  + "\n\nwhere ADDRESS is this device's IP address: its host name, "
                  + hostName
                  + why)
          .doesNotContain("pairctl pair " + hostName);
    }
  }
}
