package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher packaging/bin/pairctl given a {@code PAIRCTL_LIB} (pairctl(1), ENVIRONMENT) that
 * holds no jars: it says which variable and what to do, in place of the JVM's "Could not find or
 * load main class" and its exception.
 */
final class LauncherLibraryIT {
  @TempDir Path dir;

  @Test
  void pairctlLib_missingOrWithoutJars_isNamedWithoutAJavaError() throws Exception {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    Files.writeString(empty.resolve("README"), "not a jar\n");

    for (Path lib : List.of(dir.resolve("missing"), empty)) {
      Launcher.Run run =
          Launcher.run(
              dir,
              Path.of("/dev/null"),
              dir.resolve("err.txt"),
              List.of("--version"),
              Map.of("PAIRCTL_LIB", lib.toString()));

      assertThat(run.status()).as(run.err()).isEqualTo(1);
      assertThat(run.err())
          .isEqualTo(
              "pairctl: PAIRCTL_LIB is "
                  + lib
                  + ", which holds no jars; point it at pairctl's jars"
                  + " (/usr/share/paird/lib/ctl once installed) or unset it\n");
    }
  }
}
