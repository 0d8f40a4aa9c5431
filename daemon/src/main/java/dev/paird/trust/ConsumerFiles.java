package dev.paird.trust;

import dev.paird.identity.TrustedPkcs12;
import dev.paird.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The trusted list in the forms other TLS software reads, beside {@code trusted.pem} in the state
 * directory and derived from the list in the same way: {@value #CAPATH_NAME}/, an OpenSSL CApath
 * directory ({@link CaPathDirectory}), and {@value #PKCS12_NAME}, a PKCS#12 trust store for Java
 * ({@link TrustedPkcs12}). docs/INTEGRATION.md says which software reads which.
 *
 * <p>Writing is idempotent: a file that already holds what the list says is not touched, so that
 * {@link TrustStore#open} can call it on every start to heal outputs a crash left one change
 * behind, without disturbing consumers when nothing changed.
 */
final class ConsumerFiles {
  static final String CAPATH_NAME = "trusted-certs";
  static final String PKCS12_NAME = "trusted.p12";

  private ConsumerFiles() {}

  /** Brings every output in {@code stateDir} in line with {@code peers}. */
  static void write(Path stateDir, List<TrustedPeer> peers, TrustStore.AtomicWriter writer)
      throws IOException {
    CaPathDirectory.sync(stateDir.resolve(CAPATH_NAME), peers, writer);
    // Last, and it must stay last: paird-trust-changed.path watches this file to know that
    // every output of a change is on disk.
    Path pkcs12 = stateDir.resolve(PKCS12_NAME);
    Map<String, X509Certificate> byAlias = new LinkedHashMap<>();
    for (TrustedPeer peer : peers) {
      byAlias.put(peer.fingerprint(), peer.certificate());
    }
    byte[] store = TrustedPkcs12.encode(byAlias);
    if (!holds(pkcs12, store)) {
      writer.write(pkcs12, store, AtomicFiles.PUBLIC);
    }
  }

  /** Deletes the temporary files a crashed write of the files directly in the directory left. */
  static void removeLeftovers(Path stateDir) throws IOException {
    AtomicFiles.removeLeftovers(stateDir.resolve(PKCS12_NAME));
  }

  /** Whether {@code file} is a regular file (not a link) holding exactly {@code content}. */
  static boolean holds(Path file, byte[] content) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
        || Files.size(file) != content.length) {
      return false;
    }
    return Arrays.equals(Files.readAllBytes(file), content);
  }
}
