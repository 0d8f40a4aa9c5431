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
 * load main class" and its exception; and given a {@code JAVA_HOME} without a Java, or no Java at
 * all, it says so rather than run another Java or leave the shell's "java: not found".
 */
final class LauncherLibraryIT {
  @TempDir Path dir;

  @Test
  void pairctlLib_missingOrWithoutJars_isNamedWithoutAJavaError() throws Exception {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    Files.writeString(empty.resolve("README"), "not a jar\n");

    for (Path lib : List.of(dir.resolve("missing"), empty)) {
      Launcher.Run run = version(Map.of("PAIRCTL_LIB", lib.toString()));

      assertThat(run.status()).as(run.err()).isEqualTo(1);
      assertThat(run.err())
          .isEqualTo(
              "pairctl: PAIRCTL_LIB is "
                  + lib
                  + ", which holds no jars; point it at pairctl's jars"
                  + " (/usr/share/paird/lib/ctl once installed) or unset it\n");
    }
  }

  @Test
  void javaHomeWithoutJava_orNoJavaOnPath_isNamed() throws Exception {
    Path notJava = Files.createDirectory(dir.resolve("not-a-jdk"));
    Launcher.Run wrongHome = version(Map.of("JAVA_HOME", notJava.toString()));

    assertThat(wrongHome.status()).as(wrongHome.err()).isEqualTo(1);
    assertThat(wrongHome.err())
        .isEqualTo(
            "pairctl: JAVA_HOME is "
                + notJava
                + ", which holds no bin/java; point it at Java 17 or later, or unset it to use"
                + " the java on PATH\n");

    // A PATH with what the launcher runs before java, and no java.
    Path bin = Files.createDirectory(dir.resolve("bin"));
    Files.createSymbolicLink(bin.resolve("readlink"), Path.of("/usr/bin/readlink"));
    Launcher.Run noJava = version(Map.of("JAVA_HOME", "", "PATH", bin.toString()));

    assertThat(noJava.status()).as(noJava.err()).isEqualTo(1);
    assertThat(noJava.err())
        .isEqualTo("pairctl: no java on PATH; install Java 17 or later, or set JAVA_HOME to one\n");
  }

  /** {@code pairctl --version} with {@code environment} added to a test's. */
  private Launcher.Run version(Map<String, String> environment) throws Exception {
    return Launcher.run(
        dir, Path.of("/dev/null"), dir.resolve("err.txt"), List.of("--version"), environment);
  }
}
