package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nginx program of docs/INTEGRATION.md, read from the document and run by
 * packaging/libexec/trust-changed as paird-trust-changed.service runs it, with a systemctl that
 * only notes its call. That program runs as root on files the user paird may replace: it copies
 * them (the list, and the device's certificate and key, which nginx reads as root) only when every
 * file it opened is a regular file of that user.
 */
final class NginxProgramTest {
  private static final Path ROOT = Path.of(System.getProperty("user.dir")).resolve("..");
  private static final Path SCRIPT = ROOT.resolve("packaging/libexec/trust-changed");
  private static final Path DOC = ROOT.resolve("docs/INTEGRATION.md");
  private static final String FIRST_LINE = "# /etc/paird/trust-changed.d/50-nginx (mode 0755)";
  private static final long PATIENCE_SECONDS = 60;

  @TempDir Path dir;
  private Path state;
  private Path copies;
  private Path calls;

  @BeforeEach
  void setUp() throws IOException {
    state = Files.createDirectory(dir.resolve("state"));
    Files.createDirectory(state.resolve("identity"));
    Files.writeString(state.resolve("identity/cert.pem"), "the device's own certificate\n");
    Files.writeString(state.resolve("identity/key.pem"), "the device's key\n");
    Files.writeString(state.resolve("trusted.pem"), "");
    Files.writeString(state.resolve("trusted.p12"), "v1");
    copies = Files.createDirectory(dir.resolve("paird-trust-changed"));
    calls = dir.resolve("systemctl-calls");
    Path hooks = Files.createDirectory(dir.resolve("trust-changed.d"));
    executable(hooks.resolve("50-nginx"), program());
    Path bin = Files.createDirectory(dir.resolve("bin"));
    executable(bin.resolve("systemctl"), "#!/bin/sh\necho \"$*\" >> " + calls + "\n");
  }

  @Test
  void nginx_trustedCertificates_areCopiedAndNginxReloaded() throws Exception {
    Files.writeString(state.resolve("trusted.pem"), "the trusted certificates\n");

    Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isZero();
    assertThat(copies.resolve("nginx-clients.pem")).hasContent("the trusted certificates");
    assertThat(copies.resolve("nginx-cert.pem")).hasContent("the device's own certificate");
    assertThat(copies.resolve("nginx-key.pem")).hasContent("the device's key");
    assertThat(Files.getPosixFilePermissions(copies.resolve("nginx-key.pem")))
        .as("the key's copy, root's alone")
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readAllLines(calls)).containsExactly("reload nginx");
  }

  @Test
  void nginx_emptyList_copiesTheDevicesOwnCertificate() throws Exception {
    Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isZero();
    assertThat(copies.resolve("nginx-clients.pem")).hasContent("the device's own certificate");
  }

  @Test
  void nginx_trustedPemLinksToAnotherUsersFile_copiesNothing() throws Exception {
    Files.delete(state.resolve("trusted.pem"));
    Files.createSymbolicLink(state.resolve("trusted.pem"), Path.of("/etc/passwd"));

    Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("trusted.pem is not a regular file of the user paird");
    assertNothingCopied();
  }

  @Test
  void nginx_certificateLinksToADevice_copiesNothing() throws Exception {
    Files.delete(state.resolve("identity/cert.pem"));
    Files.createSymbolicLink(state.resolve("identity/cert.pem"), Path.of("/dev/null"));

    Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("cert.pem is not a regular file of the user paird");
    assertNothingCopied();
  }

  @Test
  void nginx_keyLinksToAnotherServicesKey_copiesNothing() throws Exception {
    Path other = Files.writeString(dir.resolve("other-service.key"), "another service's key\n");
    Files.delete(state.resolve("identity/key.pem"));
    Files.createSymbolicLink(state.resolve("identity/key.pem"), other);

    Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("key.pem is not a regular file of the user paird");
    assertNothingCopied();
  }

  @Test
  void nginx_trustedPemIsASparseGibibyte_copiesNothing() throws Exception {
    // A regular file of paird's that takes no room: cat wrote all of it, as root, into the
    // copies' directory (root's reserved blocks included, had it been a terabyte).
    try (RandomAccessFile file =
        new RandomAccessFile(state.resolve("trusted.pem").toFile(), "rw")) {
      file.setLength(1L << 30);
    }

    Run run = run();

    assertThat(run.exitStatus()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("trusted.pem is not a regular file of the user paird");
    assertNothingCopied();
  }

  private void assertNothingCopied() throws IOException {
    try (var files = Files.list(copies)) {
      assertThat(files).isEmpty();
    }
    assertThat(calls).doesNotExist();
  }

  /** The program as INTEGRATION.md gives it: the code block whose second line is FIRST_LINE. */
  private static String program() throws IOException {
    List<String> lines = Files.readAllLines(DOC);
    int first = lines.indexOf(FIRST_LINE);
    assertThat(first).as("%s in %s", FIRST_LINE, DOC).isPositive();
    int end = lines.subList(first, lines.size()).indexOf("```") + first;
    assertThat(lines.get(first - 1)).isEqualTo("#!/bin/sh");
    return String.join("\n", lines.subList(first - 1, end)) + "\n";
  }

  private static void executable(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private record Run(int exitStatus, String output) {}

  /**
   * trust-changed with the program and systemctl above. As root, the state directory and its files
   * first become nobody's, as they are paird's on a device: a file of root's is then another
   * user's, as it is for paird.
   */
  private Run run() throws Exception {
    if ("root".equals(System.getProperty("user.name"))) {
      UserPrincipal nobody =
          state.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
      try (var paths = Files.walk(state)) {
        for (Path path : paths.filter(path -> !Files.isSymbolicLink(path)).toList()) {
          Files.setOwner(path, nobody);
        }
      }
    }
    ProcessBuilder builder = new ProcessBuilder(SCRIPT.toString()).redirectErrorStream(true);
    builder.environment().put("PAIRD_TRUST_HOOKS", dir.resolve("trust-changed.d").toString());
    builder.environment().put("PAIRD_STATE_DIR", state.toString());
    builder.environment().put("STATE_DIRECTORY", copies.toString());
    builder.environment().put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
    Process process = builder.start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }
}
