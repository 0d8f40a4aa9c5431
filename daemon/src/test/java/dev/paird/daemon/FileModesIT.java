package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.api.ControlProtocol.Command;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SECURITY.md, "Files": paird's private files are 0600 and its directories 0700 from their
 * creation, never briefly wider, whatever the umask it is started with; the files for other
 * software are 0644. A real paird started from a shell with umask 000 (its launcher sets 077, as
 * its unit does: the directories it makes must be set to their modes) and traced by strace pairs,
 * stops cleanly (which writes trusted.json), and then: every file strace saw it create in its state
 * directory was created with its final mode, and each file has it.
 */
final class FileModesIT {
  private static final Path STRACE = Path.of("/usr/bin/strace");

  /** An openat that creates: the path and the mode it was created with. */
  private static final Pattern CREATE =
      Pattern.compile(
          "openat\\(AT_FDCWD, \"([^\"]+)\", [A-Z_|]*O_CREAT[A-Z_|]*, (0[0-7]+)\\) += [0-9]+");

  /** A mkdir: the path and its mode. */
  private static final Pattern MKDIR =
      Pattern.compile("mkdir(?:at)?\\((?:AT_FDCWD, )?\"([^\"]+)\", (0[0-7]+)\\) += 0");

  /** The final name of what paird creates in the state directory, and the mode it must have. */
  private static final Map<String, String> MODES =
      Map.of(
          "paird.lock", "0600",
          "trusted.json", "0600",
          "trusted.journal", "0600",
          "key.pem", "0600",
          "cert.pem", "0644",
          "trusted.pem", "0644",
          "trusted.p12", "0644",
          "state", "0700",
          "identity.new", "0700",
          "trusted-certs", "0755");

  @RegisterExtension final StartedPairds started = new StartedPairds();
  @TempDir Path dir;

  @Test
  void underUmask000_everyFileIsCreatedWithItsFinalMode_andKeepsIt() throws Exception {
    assumeTrue(Files.isExecutable(STRACE), "needs strace to see the modes files are created with");
    Path trace = dir.resolve("a.trace");
    PairdProcess.Options a =
        PairdProcess.in(dir.resolve("a"))
            .settings("rate_limit_per_minute = 6000")
            // A directory paird makes for its socket, as it does when nothing made it before.
            .socket(dir.resolve("a/run/control.sock"))
            .wrapper(
                List.of(
                    "sh",
                    "-c",
                    "umask 000 && exec \"$@\"",
                    "sh",
                    STRACE.toString(),
                    // A file per thread: no call is split across lines by another thread's.
                    "-ff",
                    "-qq",
                    "-o",
                    trace.toString(),
                    "-e",
                    "trace=openat,mkdir,mkdirat",
                    "--"));
    PairdProcess.Options b = PairdProcess.in(dir.resolve("b"));
    PairdProcess tracedA = started.add(a.start());
    started.add(b.start());
    String address = a.pairctl().look(Command.STATUS).path("listen").textValue();
    String key = a.pairctl().json("new-key").path("key").textValue();

    Pairctl.Result pair = b.pairctl().run("pair", address, key);
    assertThat(pair.status()).as(pair.err()).isZero();
    // Stopped as systemd stops it, so that it compacts the list into trusted.json; strace ends
    // with it.
    tracedA.process.children().forEach(ProcessHandle::destroy);
    assertThat(tracedA.awaitExit()).as("strace's exit, paird's: stopped by SIGTERM").isEqualTo(143);

    Path state = dir.resolve("a/state").toRealPath();
    StringBuilder traced = new StringBuilder();
    try (var files = Files.list(dir)) {
      for (Path file :
          files.filter(f -> f.getFileName().toString().startsWith("a.trace.")).toList()) {
        traced.append(Files.readString(file));
      }
    }
    String lines = traced.toString();
    int created = 0;
    for (Pattern pattern : List.of(CREATE, MKDIR)) {
      Matcher made = pattern.matcher(lines);
      while (made.find()) {
        Path path = Path.of(made.group(1));
        if (!path.startsWith(state)) {
          continue;
        }
        String expected = MODES.get(finalName(path));
        assertThat(expected).as("a mode known for %s", path).isNotNull();
        assertThat(made.group(2)).as("the mode %s was created with", path).isEqualTo(expected);
        created++;
      }
    }
    assertThat(created).as("files and directories created in the state directory").isGreaterThan(8);
    // The socket's directory, which pairctl's users must reach and nobody else may write to, and
    // the private one beside the socket where paird binds it before renaming it into place.
    Path run = dir.resolve("a/run").toRealPath();
    Matcher made = MKDIR.matcher(lines);
    int socketDirectories = 0;
    while (made.find()) {
      Path path = Path.of(made.group(1));
      if (path.startsWith(run)) {
        assertThat(made.group(2))
            .as("the mode %s was created with", path)
            .isEqualTo(path.equals(run) ? "0755" : "0700");
        socketDirectories++;
      }
    }
    assertThat(socketDirectories).as("the socket's directory and the private one").isEqualTo(2);
    assertThat(mode(run.resolve("control.sock").getParent())).isEqualTo("0755");
    for (String name :
        List.of(
            "paird.lock",
            "trusted.json",
            "trusted.journal",
            "identity/key.pem",
            "identity/cert.pem",
            "trusted.pem",
            "trusted.p12")) {
      Path file = state.resolve(name);
      assertThat(mode(file))
          .as("the mode of %s", file)
          .isEqualTo(MODES.get(file.getFileName().toString()));
    }
    assertThat(mode(state.resolve("identity"))).isEqualTo("0700");
    assertThat(mode(state)).isEqualTo("0700");
  }

  /** The name a temporary file ({@code .NAME.tmp-...}) will be renamed to, or the name itself. */
  private static String finalName(Path path) {
    if (path.getParent().getFileName().toString().equals("trusted-certs")) {
      // A certificate's file there (HASH.N), for other software as the bundle is.
      return "trusted.pem";
    }
    String name = path.getFileName().toString();
    Matcher temporary = Pattern.compile("\\.(.+)\\.tmp-[0-9a-f]+").matcher(name);
    return temporary.matches() ? temporary.group(1) : name;
  }

  private static String mode(Path path) throws Exception {
    int bits = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    return String.format(Locale.ROOT, "%04o", bits & 07777);
  }
}
