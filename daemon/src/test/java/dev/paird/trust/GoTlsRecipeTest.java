package dev.paird.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.paird.testing.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Go recipe of docs/INTEGRATION.md, run as written over loopback: a Go server requiring client
 * certificates from {@code trusted.pem} and a Go client checking it against its own {@code
 * trusted.pem} by host name, both with the recipe's {@code tls.Config} (test resource {@code
 * go/recipe.go}, built with the standard library only). Skipped where no {@code go} is on the PATH.
 */
final class GoTlsRecipeTest {
  /** A fixed port, because the server is told one. */
  private static final int PORT = 42630;

  private static final String ADDRESS = "127.0.0.1:" + PORT;

  /**
   * Building compiles the standard library's TLS into an empty cache: minutes on a busy machine.
   */
  private static final long BUILD_SECONDS = 600;

  private static Path recipe;

  @TempDir Path dir;
  private Process server;

  @BeforeAll
  static void build(@TempDir Path build) throws Exception {
    Optional<Path> found =
        Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
            .filter(entry -> !entry.isEmpty())
            .map(entry -> Path.of(entry, "go"))
            .filter(Files::isExecutable)
            .findFirst();
    assumeThat(found).as("go is installed").isPresent();
    Path go = found.get();
    Path source = Files.createDirectory(build.resolve("recipe"));
    try (InputStream in = GoTlsRecipeTest.class.getResourceAsStream("/go/recipe.go")) {
      Files.copy(in, source.resolve("recipe.go"));
    }
    Files.writeString(source.resolve("go.mod"), "module paird.test/recipe\n\ngo 1.19\n");
    recipe = build.resolve("recipe-bin");
    ProcessBuilder goBuild =
        new ProcessBuilder(go.toString(), "build", "-o", recipe.toString(), ".")
            .directory(source.toFile())
            .redirectErrorStream(true)
            .redirectOutput(build.resolve("build.log").toFile());
    // Nothing is downloaded, and the build writes only to the test's directory and to Go's own
    // build cache, where it is, so that the standard library is compiled once per machine rather
    // than at every run (the cache is keyed by the inputs' hashes; a stale entry cannot be used).
    Map<String, String> env = goBuild.environment();
    env.put("GOCACHE", goCache(build).toString());
    env.put("GOPATH", build.resolve("gopath").toString());
    env.put("GOFLAGS", "-mod=mod");
    env.put("GOPROXY", "off");
    env.put("GOENV", "off");
    env.put("GOTOOLCHAIN", "local");
    env.put("CGO_ENABLED", "0");
    Process building = goBuild.start();
    if (!building.waitFor(BUILD_SECONDS, TimeUnit.SECONDS)) {
      building.destroyForcibly();
      throw new AssertionError("go build did not finish in " + BUILD_SECONDS + " s");
    }
    assertThat(building.exitValue())
        .as("go build: %s", Files.readString(build.resolve("build.log")))
        .isZero();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (server != null) {
      RecipeServers.stop(server);
    }
  }

  @Test
  void go_pairedClientReachesTheServerByItsNames_andOthersDoNot() throws Exception {
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    Path stranger = RecipeDevices.device(dir, "stranger");
    // Trusted by the server, trusting nobody: it must not accept the server.
    Path wary = RecipeDevices.device(dir, "wary");
    RecipeDevices.trust(a, b);
    RecipeDevices.trust(a, wary);
    RecipeDevices.trust(b, a);
    RecipeDevices.trust(stranger, a);
    startServer(a);

    assertGreeted(client(b, "kitchen-pi"), "the paired device by the host name");
    assertGreeted(client(b, "kitchen-pi.local"), "the paired device by the .local name");
    assertRefused(client(b, "printer"), "a name the server's certificate does not carry");
    assertRefused(client(stranger, "kitchen-pi"), "an unpaired device");
    assertRefused(client(wary, "kitchen-pi"), "a server the client has not paired with");
  }

  @Test
  void go_removedDevice_isRefusedAfterTheRestart_andTheOthersStillReachTheServer()
      throws Exception {
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    Path b = RecipeDevices.device(dir, "laptop");
    Path c = RecipeDevices.device(dir, "phone");
    for (Path client : List.of(b, c)) {
      RecipeDevices.trust(a, client);
      RecipeDevices.trust(client, a);
    }
    startServer(a);
    assertGreeted(client(b, "kitchen-pi"), "a paired device");

    // Withdrawn in place in trusted.pem (WrittenOutputs): Go's PEM reader must skip the entry.
    RecipeDevices.untrust(a, b);
    RecipeServers.stop(server);
    startServer(a);

    assertRefused(client(b, "kitchen-pi"), "the removed device");
    assertGreeted(client(c, "kitchen-pi"), "the device still paired");
  }

  @Test
  void go_certificateSignedByAPairedDevice_isRefused() throws Exception {
    Path a = RecipeDevices.device(dir, "kitchen-pi");
    // A paired device whose certificate is a CA, as openssl req -x509 makes them by default, and
    // a certificate it signed.
    Path issuer = selfSignedCa("issuer");
    Path minted = signedBy(issuer, "minted");
    RecipeDevices.trust(a, issuer);
    for (Path client : List.of(issuer, minted)) {
      Files.copy(a.resolve("identity/cert.pem"), client.resolve("trusted.pem"));
    }
    startServer(a);

    assertGreeted(client(issuer, "kitchen-pi"), "the paired device itself");
    assertRefused(client(minted, "kitchen-pi"), "a certificate the paired device signed");
  }

  private void startServer(Path device) throws Exception {
    Path log = dir.resolve("server.log");
    server =
        new ProcessBuilder(recipe.toString(), "server", device.toString(), ADDRESS)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    RecipeServers.awaitListening(server, PORT, log);
  }

  /** What the Go client as {@code device} reads from the server, which it calls {@code name}. */
  private static Processes.Result client(Path device, String name) {
    return Processes.run(recipe.toString(), "client", device.toString(), ADDRESS, name);
  }

  private static void assertGreeted(Processes.Result result, String who) {
    assertThat(result.output()).as("%s: %s", who, result.output()).isEqualTo("hello from go\n");
  }

  private static void assertRefused(Processes.Result result, String who) {
    assertThat(result.exitStatus()).as("%s: %s", who, result.output()).isNotZero();
    assertThat(result.output()).as(who).doesNotContain("hello");
  }

  /** A state directory whose identity is a CA certificate made by openssl req -x509. */
  private Path selfSignedCa(String name) throws IOException {
    Path identity = Files.createDirectories(dir.resolve(name).resolve("identity"));
    List<String> command = new ArrayList<>(List.of("req", "-x509"));
    command.addAll(newKey(identity));
    command.addAll(
        List.of("-out", identity.resolve("cert.pem").toString(), "-subj", "/CN=" + name));
    openssl(command);
    return dir.resolve(name);
  }

  /** A state directory whose identity {@code issuer}'s key signed. */
  private Path signedBy(Path issuer, String name) throws IOException {
    Path identity = Files.createDirectories(dir.resolve(name).resolve("identity"));
    Path request = dir.resolve(name + ".csr");
    List<String> command = new ArrayList<>(List.of("req", "-new"));
    command.addAll(newKey(identity));
    command.addAll(List.of("-out", request.toString(), "-subj", "/CN=" + name));
    openssl(command);
    openssl(
        List.of(
            "x509",
            "-req",
            "-in",
            request.toString(),
            "-CA",
            issuer.resolve("identity/cert.pem").toString(),
            "-CAkey",
            issuer.resolve("identity/key.pem").toString(),
            "-set_serial",
            "2",
            "-days",
            "1",
            "-out",
            identity.resolve("cert.pem").toString()));
    return dir.resolve(name);
  }

  /** openssl req's arguments for a new P-256 key, unencrypted, as {@code identity}'s key.pem. */
  private static List<String> newKey(Path identity) {
    return List.of(
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        identity.resolve("key.pem").toString());
  }

  private static void openssl(List<String> arguments) {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(arguments);
    Processes.Result result = Processes.run(command);
    assertThat(result.exitStatus()).as("%s: %s", command, result.output()).isZero();
  }

  /**
   * Go's default build cache ({@code $XDG_CACHE_HOME/go-build} or {@code ~/.cache/go-build}) if it
   * is a directory of this user's or can be made one, else one in {@code build}.
   */
  private static Path goCache(Path build) throws IOException {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isEmpty()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    Path cache = base.resolve("go-build");
    try {
      Files.createDirectories(cache);
      if (Files.isWritable(cache)) {
        return cache;
      }
    } catch (IOException e) {
      // not ours to use: fall through
    }
    return build.resolve("cache");
  }
}
