package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher packaging/bin/paird given a {@code PAIRD_LIB} (paird(8), ENVIRONMENT) that holds no
 * jars: it says which variable and what to do, in place of the JVM's "Could not find or load main
 * class" and its exception.
 */
final class LauncherLibraryIT {
  @TempDir Path dir;

  @Test
  void pairdLib_missingOrWithoutJars_isNamedWithoutAJavaError() throws Exception {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    Files.writeString(empty.resolve("README"), "not a jar\n");

    for (Path lib : List.of(dir.resolve("missing"), empty)) {
      ProcessBuilder builder =
          new ProcessBuilder(PairdProcess.PAIRD.toString(), "--version")
              .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      builder.environment().keySet().removeIf(name -> name.startsWith("PAIRD_"));
      builder.environment().put("PAIRD_CDS", "off");
      builder.environment().put("PAIRD_LIB", lib.toString());
      Process paird = builder.start();
      String err = new String(paird.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(paird.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(paird.exitValue()).as(err).isEqualTo(1);
      assertThat(err)
          .isEqualTo(
              "paird: PAIRD_LIB is "
                  + lib
                  + ", which holds no jars; point it at paird's jars"
                  + " (/usr/share/paird/lib/daemon once installed) or unset it\n");
    }
  }
}
