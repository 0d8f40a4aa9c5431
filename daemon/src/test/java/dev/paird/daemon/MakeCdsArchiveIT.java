package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * packaging/libexec/make-cds-archive --user, for paird: the archive holds what a start with an
 * identity loads, not what only making one (paird's first start) needs.
 */
final class MakeCdsArchiveIT {
  private static final Path MAKE = PairdProcess.REPO.resolve("packaging/libexec/make-cds-archive");

  @TempDir Path dir;

  @Test
  void archive_trainedOnASecondStart_leavesOutMakingAnIdentity() throws Exception {
    Path cache = dir.resolve("cache");
    ProcessBuilder builder = new ProcessBuilder(MAKE.toString(), "--user");
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("PAIRD_"));
    env.put("XDG_CACHE_HOME", cache.toString());
    Path out = dir.resolve("make.txt");
    Process make = builder.redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(make.waitFor(300, TimeUnit.SECONDS)).as("make-cds-archive finished").isTrue();
    assertThat(make.exitValue()).as(Files.readString(out)).isZero();

    // A first start, which makes its identity, the JVM naming where each class came from.
    Path classes = dir.resolve("classes.txt");
    try (PairdProcess paird =
        PairdProcess.in(dir.resolve("first"))
            .wrapper(
                List.of(
                    "env",
                    "XDG_CACHE_HOME=" + cache,
                    "PAIRD_JAVA_OPTS=-Xlog:class+load=info:file=" + classes))
            .start()) {
      assertThat(paird.process.isAlive()).isTrue();
    }

    assertThat(Files.readString(classes))
        .contains("dev.paird.daemon.Daemon source: shared objects file")
        .contains("org.bouncycastle.cert.X509v3CertificateBuilder source: file:")
        .doesNotContain("org.bouncycastle.cert.X509v3CertificateBuilder source: shared");
  }
}
