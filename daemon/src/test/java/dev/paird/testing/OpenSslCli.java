package dev.paird.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Makes keys and certificates with the openssl command-line tool, as an administrator would, so
 * that the tests read files paird's own code did not write. The keys themselves come from fixtures
 * openssl made once; see {@link #newKey}.
 */
public final class OpenSslCli {
  private static final long TIMEOUT_SECONDS = 60;
  private static final String PASSPHRASE = "correct horse";

  /** Key types, as {@code openssl genpkey} arguments and the name of their fixture files. */
  public enum KeyType {
    EC_P256("EC P-256", "ec-p256", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"),
    EC_P384("EC P-384", "ec-p384", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"),
    EC_P521("EC P-521", "ec-p521", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"),
    EC_SECP256K1(
        "EC secp256k1",
        "ec-secp256k1",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:secp256k1"),
    ED25519("Ed25519", "ed25519", "-algorithm", "ED25519"),
    ED448("Ed448", "ed448", "-algorithm", "ED448"),
    X25519("X25519", "x25519", "-algorithm", "X25519"),
    DSA("DSA", "dsa"), // needs parameters first; see generateKey
    RSA_PSS(
        "RSA-PSS 2048",
        "rsa-pss-2048",
        "-algorithm",
        "RSA-PSS",
        "-pkeyopt",
        "rsa_keygen_bits:2048"),
    RSA_1024("RSA 1024", "rsa-1024", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"),
    RSA_2048("RSA 2048", "rsa-2048", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"),
    RSA_3072("RSA 3072", "rsa-3072", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072");

    public final String description;
    private final String fixture;

    @SuppressWarnings("ImmutableEnumChecker") // List.of: it cannot change
    private final List<String> genpkeyArguments;

    KeyType(String description, String fixture, String... genpkeyArguments) {
      this.description = description;
      this.fixture = fixture;
      this.genpkeyArguments = List.of(genpkeyArguments);
    }

    /** The openssl command that rewrites a PKCS#8 key of this type in its traditional form. */
    public String traditionalCommand() {
      return switch (this) {
        case EC_P256, EC_P384, EC_P521, EC_SECP256K1 -> "ec";
        case RSA_1024, RSA_2048, RSA_3072 -> "rsa";
        default -> throw new IllegalArgumentException(this + " has no traditional form");
      };
    }

    @Override
    public String toString() {
      return description;
    }
  }

  /** A self-signed certificate file and its PKCS#8 key file. */
  public record SelfSigned(Path cert, Path key) {}

  /** How many fixture keys of a type each directory has had, by directory and type. */
  private static final Map<String, Integer> HANDED_OUT = new ConcurrentHashMap<>();

  /** What {@link #makeOnce} had openssl write, by command and content of the inputs. */
  private static final Map<String, Made> MADE = new ConcurrentHashMap<>();

  /** Fingerprints openssl printed, by the certificate file's digest. */
  private static final Map<String, String> FINGERPRINTS = new ConcurrentHashMap<>();

  private OpenSslCli() {}

  /**
   * A PKCS#8 key of {@code type} in {@code dir}/{@code name}.key.pem that openssl made earlier: one
   * of the fixtures in {@code /openssl/} (see the README there). Each is handed out once per
   * directory, so that two keys of one type in a test differ; past the last, openssl makes one.
   * Generating every key would cost seconds for DSA and RSA-3072; {@link #generateKey} does it for
   * the one test that shows that a key openssl makes now still loads.
   */
  public static Path newKey(Path dir, String name, KeyType type) {
    int index = HANDED_OUT.merge(dir.toAbsolutePath() + "\0" + type, 1, Integer::sum);
    String resource = "/openssl/" + type.fixture + "-" + index + ".key.pem";
    Path key = dir.resolve(name + ".key.pem");
    try (InputStream in = OpenSslCli.class.getResourceAsStream(resource)) {
      if (in == null) {
        return generateKey(dir, name, type); // more keys of this type than the fixtures hold
      }
      Files.copy(in, key, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // As openssl writes its keys, and as paird requires of a key file.
    return privateFile(key);
  }

  /** A PKCS#8 key of {@code type} that openssl generates now: {@code dir}/{@code name}.key.pem. */
  public static Path generateKey(Path dir, String name, KeyType type) {
    Path key = dir.resolve(name + ".key.pem");
    List<String> command = new ArrayList<>(List.of("genpkey"));
    if (type == KeyType.DSA) {
      Path parameters = dir.resolve(name + ".dsaparam.pem");
      run(
          "genpkey",
          "-genparam",
          "-algorithm",
          "DSA",
          "-pkeyopt",
          "dsa_paramgen_bits:2048",
          "-out",
          parameters.toString());
      command.addAll(List.of("-paramfile", parameters.toString()));
    }
    command.addAll(type.genpkeyArguments);
    command.addAll(List.of("-out", key.toString()));
    run(command);
    return key;
  }

  /**
   * {@code file} made readable by its owner only, as paird requires of a key file; openssl writes
   * its keys so, but a key a test assembles or copies gets the umask's mode.
   */
  public static Path privateFile(Path file) {
    try {
      return Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new key of {@code type} and a self-signed certificate {@code CN=name} for it. */
  public static SelfSigned newSelfSigned(Path dir, String name, KeyType type) {
    Path key = newKey(dir, name, type);
    return new SelfSigned(selfSign(dir, name, key), key);
  }

  /** A self-signed certificate {@code CN=name} for {@code key}, valid for a year. */
  public static Path selfSign(Path dir, String name, Path key) {
    return selfSign(dir, name, key, "/CN=" + name);
  }

  /** A self-signed certificate with {@code subject}, in openssl's /K=V/K=V form, for a year. */
  public static Path selfSign(Path dir, String name, Path key, String subject) {
    return selfSign(dir, name, key, subject, List.of());
  }

  /**
   * As {@link #selfSign(Path, String, Path, String)}, with more {@code openssl req} options, such
   * as {@code -addext basicConstraints=critical,CA:FALSE}.
   */
  public static Path selfSign(
      Path dir, String name, Path key, String subject, List<String> options) {
    Path cert = dir.resolve(name + ".cert.pem");
    List<String> command =
        new ArrayList<>(
            List.of(
                "req",
                "-x509",
                "-new",
                "-key",
                key.toString(),
                "-out",
                cert.toString(),
                "-subj",
                subject,
                "-days",
                "365"));
    command.addAll(options);
    makeOnce(cert, List.of(key), command);
    return cert;
  }

  /** {@code key} rewritten in the traditional (non-PKCS#8) form, next to it. */
  public static Path traditional(Path key, KeyType type) {
    return rewriteTraditional(key, type, ".trad");
  }

  /** {@code key} encrypted in OpenSSL's traditional form (Proc-Type header), next to it. */
  public static Path encryptedTraditional(Path key, KeyType type) {
    return rewriteTraditional(key, type, ".trad.enc", "-aes128", "-passout", "pass:" + PASSPHRASE);
  }

  /** {@code key} encrypted as PKCS#8 under a passphrase, next to it. */
  public static Path encryptedPkcs8(Path key) {
    Path out = key.resolveSibling(key.getFileName() + ".enc");
    makeOnce(
        out,
        List.of(key),
        List.of(
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-128-cbc",
            "-in",
            key.toString(),
            "-out",
            out.toString(),
            "-passout",
            "pass:" + PASSPHRASE));
    return out;
  }

  private static Path rewriteTraditional(Path key, KeyType type, String suffix, String... options) {
    Path out = key.resolveSibling(key.getFileName() + suffix);
    List<String> command = new ArrayList<>(List.of(type.traditionalCommand()));
    if (type.traditionalCommand().equals("rsa")) {
      command.add("-traditional"); // OpenSSL 3 writes PKCS#8 unless told otherwise
    }
    command.addAll(List.of(options));
    command.addAll(List.of("-in", key.toString(), "-out", out.toString()));
    makeOnce(out, List.of(key), command);
    return out;
  }

  /** The certificate's SHA-256 fingerprint as openssl prints it, without colons, lowercase. */
  public static String fingerprint(Path cert) {
    return FINGERPRINTS.computeIfAbsent(
        digest(List.of(cert)),
        digest -> {
          String line =
              run("x509", "-in", cert.toString(), "-noout", "-fingerprint", "-sha256")
                  .lines()
                  .filter(l -> l.contains("Fingerprint="))
                  .findFirst()
                  .orElseThrow();
          return line.substring(line.indexOf('=') + 1).replace(":", "").toLowerCase(Locale.ROOT);
        });
  }

  /**
   * Has openssl write {@code out} from {@code inputs} by {@code arguments}, or, if it already did
   * so in this JVM for inputs of the same content, writes what it wrote then: an openssl process
   * costs a tenth of a second on a busy machine, and the tests ask for the same files again and
   * again. The arguments name the files only to be run; the inputs' contents make the key.
   */
  private static void makeOnce(Path out, List<Path> inputs, List<String> arguments) {
    List<String> pathless = new ArrayList<>(arguments);
    pathless.replaceAll(argument -> argument.equals(out.toString()) ? "OUT" : argument);
    for (int i = 0; i < inputs.size(); i++) {
      String input = inputs.get(i).toString();
      String placeholder = "IN" + i;
      pathless.replaceAll(argument -> argument.equals(input) ? placeholder : argument);
    }
    String key = String.join("\0", pathless) + "\0" + digest(inputs);
    Made made =
        MADE.computeIfAbsent(
            key,
            k -> {
              run(arguments);
              try {
                return new Made(Files.readAllBytes(out), Files.getPosixFilePermissions(out));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    try {
      Files.write(out, made.content());
      Files.setPosixFilePermissions(out, made.permissions());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What openssl wrote once, with the mode it gave the file. */
  private record Made(byte[] content, Set<PosixFilePermission> permissions) {}

  private static String digest(List<Path> files) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      for (Path file : files) {
        sha256.update(Files.readAllBytes(file));
        sha256.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha256.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The first line of a file, to check which PEM form a command wrote. */
  public static String firstLine(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.US_ASCII).get(0);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  public static String run(String... arguments) {
    return run(List.of(arguments));
  }

  /** Runs openssl and returns its standard output; fails the test if openssl fails. */
  public static String run(List<String> arguments) {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(arguments);
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getOutputStream().close();
      byte[] output = process.getInputStream().readAllBytes();
      assertThat(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS))
          .as("%s finished", command)
          .isTrue();
      String text = new String(output, StandardCharsets.UTF_8);
      assertThat(process.exitValue()).as("%s exit status; output:%n%s", command, text).isZero();
      return text;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + command, e);
    }
  }
}
