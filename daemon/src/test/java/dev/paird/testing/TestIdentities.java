package dev.paird.testing;

import dev.paird.api.PairdException;
import dev.paird.identity.DeviceIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The two fixed EC P-256 identities of the protocol fixtures ({@code /protocol/}), loaded through
 * {@link DeviceIdentity#load} as the daemon loads configured files.
 */
public final class TestIdentities {
  private TestIdentities() {}

  /** The identity of the fixtures' server, the device that makes the key. */
  public static DeviceIdentity server(Path dir) {
    return load(dir, "server");
  }

  /** The identity of the fixtures' client, the device that types the key. */
  public static DeviceIdentity client(Path dir) {
    return load(dir, "client");
  }

  private static DeviceIdentity load(Path dir, String name) {
    try {
      Path cert = copy(dir, name + ".pem");
      Path key = OpenSslCli.privateFile(copy(dir, name + ".key"));
      return DeviceIdentity.load(cert, key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (PairdException e) {
      throw new IllegalStateException("the " + name + " fixture identity does not load", e);
    }
  }

  private static Path copy(Path dir, String file) throws IOException {
    Path target = dir.resolve(file);
    try (InputStream in = TestIdentities.class.getResourceAsStream("/protocol/" + file)) {
      if (in == null) {
        throw new IOException("no test resource /protocol/" + file);
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    return target;
  }
}
