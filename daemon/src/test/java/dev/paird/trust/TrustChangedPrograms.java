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

/**
 * Programs of docs/INTEGRATION.md for {@code /etc/paird/trust-changed.d}, read from the document,
 * installed in a directory of the test's and run by packaging/libexec/trust-changed as
 * paird-trust-changed.service runs it, with a {@code systemctl} the test gives.
 */
final class TrustChangedPrograms {
  static final String DEVICE_COPIES = "# /etc/paird/trust-changed.d/40-device-copies (mode 0755)";
  static final String NGINX = "# /etc/paird/trust-changed.d/50-nginx (mode 0755)";
  static final String STUNNEL = "# /etc/paird/trust-changed.d/50-stunnel (mode 0755)";

  private static final Path ROOT = Path.of(System.getProperty("user.dir")).resolve("..");
  private static final Path RUNNER = ROOT.resolve("packaging/libexec/trust-changed");
  private static final Path DOC = ROOT.resolve("docs/INTEGRATION.md");
  private static final String PROGRAMS = "/etc/paird/trust-changed.d/";
  private static final long PATIENCE_SECONDS = 60;

  /** What a run of trust-changed left: its exit status, and its output and errors together. */
  record Run(int exitStatus, String output) {}

  private final Path hooks;
  private final Path bin;

  /**
   * Installs in {@code dir} the programs whose second lines (after {@code #!/bin/sh}) are {@code
   * firstLines}, under the names those lines give, and {@code systemctl} as the shell script that
   * the programs find by that name.
   */
  TrustChangedPrograms(Path dir, String systemctl, String... firstLines) throws IOException {
    hooks = Files.createDirectory(dir.resolve("trust-changed.d"));
    for (String line : firstLines) {
      List<String> program = docBlock(line);
      assertThat(program.subList(0, 2))
          .as("%s in %s", line, DOC)
          .containsExactly("#!/bin/sh", line);
      int from = line.indexOf(PROGRAMS) + PROGRAMS.length();
      String name = line.substring(from, line.indexOf(' ', from));
      executable(hooks.resolve(name), String.join("\n", program) + "\n");
    }
    bin = Files.createDirectory(dir.resolve("bin"));
    executable(bin.resolve("systemctl"), "#!/bin/sh\n" + systemctl + "\n");
  }

  /**
   * The code block of INTEGRATION.md that holds {@code line}, without its fences, as the system
   * test's doc_block reads it; fails if there is none.
   */
  static List<String> docBlock(String line) throws IOException {
    List<String> lines = Files.readAllLines(DOC);
    int at = lines.indexOf(line);
    assertThat(at).as("%s in %s", line, DOC).isPositive();
    int start = at;
    while (!lines.get(start - 1).startsWith("```")) {
      start--;
    }
    int end = lines.subList(at, lines.size()).indexOf("```") + at;
    assertThat(end).as("the end of the block that holds %s", line).isGreaterThan(at);
    return lines.subList(start, end);
  }

  /**
   * A state directory in {@code dir} as paird keeps it, with only the device's certificate and key
   * in {@code identity/}, which hold the texts "the device's own certificate" and "the device's
   * key".
   */
  static Path deviceState(Path dir) throws IOException {
    Path state = Files.createDirectory(dir.resolve("state"));
    Files.createDirectory(state.resolve("identity"));
    Files.writeString(state.resolve("identity/cert.pem"), "the device's own certificate\n");
    Files.writeString(state.resolve("identity/key.pem"), "the device's key\n");
    return state;
  }

  /** Puts at {@code file}, which exists, a symbolic link to {@code target}. */
  static void replaceWithLink(Path file, Path target) throws IOException {
    Files.delete(file);
    Files.createSymbolicLink(file, target);
  }

  /**
   * Makes {@code file} a sparse file of 1 GiB: a regular file of paird's that takes no room, and
   * all of it in a copy that root makes with cat (root's reserved blocks included, had it been a
   * terabyte).
   */
  static void makeSparseGibibyte(Path file) throws IOException {
    try (RandomAccessFile sparse = new RandomAccessFile(file.toFile(), "rw")) {
      sparse.setLength(1L << 30);
    }
  }

  /** Makes the FIFO {@code fifo}, as the user paird may put one in place of a file. */
  static Path makeFifo(Path fifo) throws Exception {
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)).isTrue();
    assertThat(mkfifo.exitValue()).as("mkfifo %s", fifo).isZero();
    return fifo;
  }

  /**
   * As root, makes the state directory and the files in it (not what links there name) nobody's, as
   * they are the user paird's on a device: a file of root's is then another user's, as it is for
   * paird. Does nothing for another user.
   */
  static void giveToNobody(Path state) throws IOException {
    if (!"root".equals(System.getProperty("user.name"))) {
      return;
    }
    UserPrincipal nobody =
        state.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    try (var paths = Files.walk(state)) {
      for (Path path : paths.filter(path -> !Files.isSymbolicLink(path)).toList()) {
        Files.setOwner(path, nobody);
      }
    }
  }

  /** The runner's own note in the hook state directory, beside the programs' files. */
  static final String RUNNERS_NOTE = "last-pass";

  /** The names of the files in {@code copies} that the programs left there. */
  static List<String> programsFiles(Path copies) throws IOException {
    try (var files = Files.list(copies)) {
      return files
          .map(file -> file.getFileName().toString())
          .filter(name -> !name.equals(RUNNERS_NOTE))
          .toList();
    }
  }

  /**
   * trust-changed with these programs, for paird's {@code state} and the programs' {@code copies}.
   */
  Run run(Path state, Path copies) throws Exception {
    return run(state, copies, PATIENCE_SECONDS);
  }

  /**
   * trust-changed with these programs, for paird's {@code state} and the programs' {@code copies},
   * which stops a program that has not finished after {@code hookTimeoutSeconds}.
   */
  Run run(Path state, Path copies, long hookTimeoutSeconds) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(RUNNER.toString()).redirectErrorStream(true);
    builder.environment().put("PAIRD_TRUST_HOOKS", hooks.toString());
    builder.environment().put("PAIRD_STATE_DIR", state.toString());
    builder.environment().put("STATE_DIRECTORY", copies.toString());
    builder.environment().put("PAIRD_HOOK_TIMEOUT", Long.toString(hookTimeoutSeconds));
    // The runner's pace between passes is TrustChangedScriptTest's; here runs may follow at once.
    builder.environment().put("PAIRD_HOOK_INTERVAL", "0");
    builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    Process process = builder.start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  private static void executable(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
