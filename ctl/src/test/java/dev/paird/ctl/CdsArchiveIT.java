package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher packaging/bin/pairctl with a class-data archive of its own: it uses one made for its
 * jars, and starts, without it, whatever else lies in the archive's place. A JVM that maps a file
 * cut short crashes, so that case is the launcher's to catch, not the JVM's.
 */
final class CdsArchiveIT {
  private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();
  private static final Path PAIRCTL = REPO.resolve("packaging/bin/pairctl");
  private static final Path LIB = REPO.resolve("ctl/target/lib");

  /** How -Xlog:class+load names a class that came from the archive rather than from a jar. */
  private static final String FROM_ARCHIVE = "dev.paird.ctl.PairCtl source: shared objects file";

  @TempDir Path dir;
  private Path archive;

  @BeforeEach
  void makeArchive() throws Exception {
    Path classes = dir.resolve("classes.txt");
    Files.write(classes, List.of("dev/paird/ctl/PairCtl", "dev/paird/ctl/Parser"));
    Path cache = Files.createDirectories(dir.resolve("cache/paird"));
    archive = cache.resolve("pairctl.jsa");
    Run dump =
        pairctl(
            Map.of(
                "PAIRD_CDS_CLASSLIST", classes.toString(), "PAIRD_CDS_DUMP", archive.toString()));
    assertThat(dump.status).as(dump.out).isZero();
    Files.writeString(cache.resolve("pairctl.jsa.size"), Files.size(archive) + "\n");
  }

  @Test
  void archive_madeForTheseJars_isUsed() throws Exception {
    Run run = version(Map.of());

    assertThat(run.status).as(run.out).isZero();
    assertThat(run.out).contains(FROM_ARCHIVE);
  }

  @Test
  void archive_cutShort_isNotMapped() throws Exception {
    try (RandomAccessFile file = new RandomAccessFile(archive.toFile(), "rw")) {
      file.setLength(file.length() / 2);
    }

    Run run = version(Map.of());

    assertThat(run.status).as(run.out).isZero();
    assertThat(run.out).contains("pairctl ").doesNotContain(FROM_ARCHIVE);
  }

  @Test
  void archive_ofRandomBytes_stillStarts() throws Exception {
    byte[] noise = new byte[(int) Files.size(archive)];
    new Random(11).nextBytes(noise);
    Files.write(archive, noise);

    Run run = version(Map.of());

    assertThat(run.status).as(run.out).isZero();
    assertThat(run.out).contains("pairctl ").doesNotContain(FROM_ARCHIVE);
  }

  @Test
  void archive_ofOtherJars_stillStarts() throws Exception {
    Path otherLib = Files.createDirectory(dir.resolve("other-lib"));
    try (Stream<Path> jars = Files.list(LIB)) {
      for (Path jar : jars.toList()) {
        Files.copy(jar, otherLib.resolve(jar.getFileName()));
      }
    }
    Files.delete(archive);
    Files.write(dir.resolve("classes.txt"), List.of("dev/paird/ctl/PairCtl"));
    Run dump =
        pairctl(
            Map.of(
                "PAIRCTL_LIB", otherLib.toString(),
                "PAIRD_CDS_CLASSLIST", dir.resolve("classes.txt").toString(),
                "PAIRD_CDS_DUMP", archive.toString()));
    assertThat(dump.status).as(dump.out).isZero();
    Files.writeString(archive.resolveSibling("pairctl.jsa.size"), Files.size(archive) + "\n");

    Run run = version(Map.of());

    assertThat(run.status).as(run.out).isZero();
    assertThat(run.out).contains("pairctl ").doesNotContain(FROM_ARCHIVE);
  }

  @Test
  void archive_writableByGroup_isNotUsed() throws Exception {
    Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rw-rw-r--"));

    Run run = version(Map.of());

    assertThat(run.status).as(run.out).isZero();
    assertThat(run.out).doesNotContain(FROM_ARCHIVE);
  }

  @Test
  void archive_olderThanAJar_isNotUsed() throws Exception {
    // As after a build that came after the archive: the jars are newer than it.
    Files.setLastModifiedTime(archive, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));

    Run run = version(Map.of());

    assertThat(run.status).as(run.out).isZero();
    assertThat(run.out).contains("pairctl ").doesNotContain(FROM_ARCHIVE);
  }

  @Test
  void archive_turnedOff_isNotUsed() throws Exception {
    Run run = version(Map.of("PAIRD_CDS", "off"));

    assertThat(run.status).as(run.out).isZero();
    assertThat(run.out).doesNotContain(FROM_ARCHIVE);
  }

  private record Run(int status, String out) {}

  /** pairctl --version, with the JVM naming where each class came from. */
  private Run version(Map<String, String> environment) throws Exception {
    return pairctl(
        Map.of("PAIRCTL_JAVA_OPTS", "-Xlog:class+load=info:stdout"), environment, "--version");
  }

  private Run pairctl(Map<String, String> environment, String... args) throws Exception {
    return pairctl(environment, Map.of(), args);
  }

  /** The launcher with this test's cache directory and no other archive settings. */
  private Run pairctl(Map<String, String> environment, Map<String, String> more, String... args)
      throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(Stream.concat(Stream.of(PAIRCTL.toString()), Stream.of(args)).toList());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("PAIRD_CDS") || name.startsWith("PAIRCTL_"));
    env.put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    env.putAll(environment);
    env.putAll(more);
    Path out = dir.resolve("out.txt");
    Process process = builder.redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("pairctl finished").isTrue();
    return new Run(process.exitValue(), Files.readString(out));
  }
}
