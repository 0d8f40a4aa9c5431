package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher packaging/bin/paird given a {@code PAIRD_LIB} (paird(8), ENVIRONMENT) that holds no
 * jars: it says which variable and what to do, in place of the JVM's "Could not find or load main
 * class" and its exception; and given a {@code JAVA_HOME} without a Java, or no Java at all, it
 * says so rather than run another Java or leave the shell's "java: not found".
 */
final class LauncherLibraryIT {
  @TempDir Path dir;

  @Test
  void pairdLib_missingOrWithoutJars_isNamedWithoutAJavaError() throws Exception {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    Files.writeString(empty.resolve("README"), "not a jar\n");

    for (Path lib : List.of(dir.resolve("missing"), empty)) {
      Refusal refusal = launch(Map.of("PAIRD_LIB", lib.toString()));

      assertThat(refusal.status()).as(refusal.err()).isEqualTo(1);
      assertThat(refusal.err())
          .isEqualTo(
              "paird: PAIRD_LIB is "
                  + lib
                  + ", which holds no jars; point it at paird's jars"
                  + " (/usr/share/paird/lib/daemon once installed) or unset it\n");
    }
  }

  @Test
  void javaHomeWithoutJava_orNoJavaOnPath_isNamed() throws Exception {
    Path notJava = Files.createDirectory(dir.resolve("not-a-jdk"));
    Refusal wrongHome = launch(Map.of("JAVA_HOME", notJava.toString()));

    assertThat(wrongHome.status()).as(wrongHome.err()).isEqualTo(1);
    assertThat(wrongHome.err())
        .isEqualTo(
            "paird: JAVA_HOME is "
                + notJava
                + ", which holds no bin/java; point it at Java 17 or later, or unset it to use"
                + " the java on PATH\n");

    // A PATH with what the launcher runs before java, and no java.
    Path bin = Files.createDirectory(dir.resolve("bin"));
    Files.createSymbolicLink(bin.resolve("readlink"), Path.of("/usr/bin/readlink"));
    Refusal noJava = launch(Map.of("JAVA_HOME", "", "PATH", bin.toString()));

    assertThat(noJava.status()).as(noJava.err()).isEqualTo(1);
    assertThat(noJava.err())
        .isEqualTo("paird: no java on PATH; install Java 17 or later, or set JAVA_HOME to one\n");
  }

  private record Refusal(int status, String err) {}

  /** {@code paird --version} with {@code environment} added to a test's, which must refuse it. */
  private static Refusal launch(Map<String, String> environment) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(PairdProcess.PAIRD.toString(), "--version")
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().keySet().removeIf(name -> name.startsWith("PAIRD_"));
    builder.environment().put("PAIRD_CDS", "off");
    builder.environment().putAll(environment);
    Process paird = builder.start();
    String err = new String(paird.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(paird.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Refusal(paird.exitValue(), err);
  }
}
