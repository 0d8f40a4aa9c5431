package dev.paird.identity;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.io.LocalFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a device's certificate file and key file, holding each to what it must contain, and says in
 * every refusal which file is wrong, how, and what to do about it.
 *
 * <p>A certificate file holds exactly one certificate: the device's own, not a chain, and never its
 * key, since a certificate file is public. A key file holds exactly one unencrypted private key.
 * Whether the key suits paird and matches the certificate is {@link DeviceIdentity}'s concern.
 */
final class PemFiles {
  /** A certificate or key PEM file is a few kilobytes; anything this large was misconfigured. */
  static final int MAX_FILE_BYTES = 1 << 20;

  private static final Logger log = LoggerFactory.getLogger(PemFiles.class);

  private PemFiles() {}

  /**
   * The one certificate in {@code file}; with {@link LinkOption#NOFOLLOW_LINKS}, a link is not
   * followed, and opening one fails.
   *
   * @throws PairdException with {@link ErrorCode#IDENTITY_INVALID}
   */
  static X509Certificate readCertificate(Path file, LinkOption... links) throws PairdException {
    List<PemBlock> blocks = readBlocks(file, "certificate", links);
    if (blocks.isEmpty()) {
      throw noPemData(file, "certificate", "CERTIFICATE", "x509");
    }
    List<X509Certificate> certificates =
        blocks.stream()
            .filter(block -> block instanceof PemBlock.Certificate)
            .map(block -> ((PemBlock.Certificate) block).certificate())
            .toList();
    boolean hasKey =
        blocks.stream()
            .anyMatch(
                block -> block instanceof PemBlock.Key || block instanceof PemBlock.EncryptedKey);
    if (hasKey && certificates.isEmpty()) {
      throw invalid(
          "the certificate file "
              + file
              + " contains a private key, not a certificate; were the certificate and key files"
              + " swapped?");
    }
    if (hasKey) {
      throw invalid(
          "the certificate file "
              + file
              + " contains a private key besides the certificate; a certificate is public, so"
              + " keep the key in a file of its own, readable only by paird, and configure that"
              + " as the key");
    }
    if (certificates.isEmpty()) {
      throw invalid(
          "the certificate file "
              + file
              + " contains "
              + blocks.get(0).description()
              + ", not a certificate");
    }
    if (certificates.size() > 1) {
      throw invalid(
          "the certificate file "
              + file
              + " contains "
              + certificates.size()
              + " certificates; paird needs exactly one, the device's own self-signed"
              + " certificate, not a chain");
    }
    if (blocks.size() > 1) {
      throw invalid(
          "the certificate file "
              + file
              + " contains "
              + firstOtherThan(blocks, PemBlock.Certificate.class)
              + " besides the certificate; it must hold only the device's certificate");
    }
    return certificates.get(0);
  }

  /**
   * The one unencrypted private key in {@code file}; {@code links} as for {@link #readCertificate}.
   *
   * @throws PairdException with {@link ErrorCode#IDENTITY_INVALID}
   */
  static PrivateKey readPrivateKey(Path file, LinkOption... links) throws PairdException {
    List<PemBlock> blocks = readBlocks(file, "key", links);
    if (blocks.isEmpty()) {
      throw noPemData(file, "key", "PRIVATE KEY", "pkey");
    }
    if (blocks.stream().anyMatch(block -> block instanceof PemBlock.EncryptedKey)) {
      throw invalid(
          "the private key in "
              + file
              + " is encrypted, and paird cannot ask for a passphrase when it starts; decrypt it"
              + " with `openssl pkey -in "
              + file
              + " -out "
              + file
              + ".plain`, keep that file readable only by paird, and configure it as the key");
    }
    List<PrivateKey> keys =
        blocks.stream()
            .filter(block -> block instanceof PemBlock.Key)
            .map(block -> ((PemBlock.Key) block).key())
            .toList();
    if (keys.isEmpty() && blocks.get(0) instanceof PemBlock.Certificate) {
      throw invalid(
          "the key file "
              + file
              + " contains a certificate, not a private key; were the certificate and key files"
              + " swapped?");
    }
    if (keys.isEmpty()) {
      throw invalid(
          "the key file "
              + file
              + " contains "
              + blocks.get(0).description()
              + ", not a private key; configure the device's private key here");
    }
    if (keys.size() > 1) {
      throw invalid(
          "the key file "
              + file
              + " contains "
              + keys.size()
              + " private keys; it must hold exactly one, the key of the device's certificate");
    }
    if (blocks.size() > 1) {
      throw invalid(
          "the key file "
              + file
              + " contains "
              + firstOtherThan(blocks, PemBlock.Key.class)
              + " besides the private key; it must hold only the key");
    }
    // After the content checks, so that swapped files are reported as such.
    checkKeyPermissions(file, links);
    return keys.get(0);
  }

  /**
   * Refuses a key file that belongs neither to root nor to paird's user, whose owner may change it
   * or who may read it at will, naming the owner and the command that fixes it; refuses one that
   * users other than its owner may change, or that users other than its owner and group may read,
   * naming its mode and the command that fixes it; warns when its group may read it, whatever the
   * group, since every member can read the device's key: paird's own group is also, by default, the
   * control socket's, whose members are pairctl's users.
   */
  static void checkKeyPermissions(Path file, LinkOption... links) throws PairdException {
    PosixFileAttributes attributes;
    int owner;
    int self;
    try {
      attributes = Files.readAttributes(file, PosixFileAttributes.class, links);
      owner = (Integer) Files.getAttribute(file, "unix:uid", links);
      self = LocalFiles.processUid();
    } catch (NoSuchFileException e) {
      return; // reading it says so
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.IDENTITY_INVALID,
          "cannot check who may read the key file " + file + ": " + describe(e),
          e);
    }
    if (owner != 0 && owner != self) {
      throw invalid(
          "the key file "
              + file
              + " belongs to "
              + attributes.owner().getName()
              + " (uid "
              + owner
              + "), neither root nor uid "
              + self
              + " that paird runs as, so its owner can replace the device's private key, or let"
              + " anyone read it, at will; run `chown "
              + self
              + " "
              + file
              + "`");
    }
    Set<PosixFilePermission> permissions = attributes.permissions();
    if (permissions.contains(PosixFilePermission.OTHERS_READ)
        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw invalid(
          "the key file "
              + file
              + " can be "
              + (permissions.contains(PosixFilePermission.OTHERS_READ) ? "read" : "changed")
              + " by every user (mode "
              + LocalFiles.mode(attributes)
              + "), so the device's private"
              + " key is not private; "
              + chmodFix(file));
    }
    if (permissions.contains(PosixFilePermission.GROUP_WRITE)) {
      throw invalid(
          "the key file "
              + file
              + " can be changed by every member of the group "
              + attributes.group().getName()
              + " (mode "
              + LocalFiles.mode(attributes)
              + "), who could put a key of their own in its place; "
              + chmodFix(file));
    }
    if (permissions.contains(PosixFilePermission.GROUP_READ)) {
      log.warn(
          "the key file {} is readable by the group {} (mode {}); every member of {} can read"
              + " the device's private key. Run `chmod 600 {}` (paird's user must own it)",
          file,
          attributes.group().getName(),
          LocalFiles.mode(attributes),
          attributes.group().getName(),
          file);
    }
  }

  /** The command that makes a key file private to its owner, who must be paird's user. */
  private static String chmodFix(Path file) {
    return "run `chmod 600 " + file + "` (paird's user must own it)";
  }

  /** What went wrong with a file, for a person: "permission denied" rather than a bare path. */
  static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return e.getMessage() + " does not exist";
    }
    if (e instanceof FileAlreadyExistsException) {
      return e.getMessage() + " already exists";
    }
    if (e instanceof FileSystemException fileSystem && fileSystem.getReason() != null) {
      return fileSystem.getReason();
    }
    return String.valueOf(e.getMessage());
  }

  private static PairdException noPemData(
      Path file, String role, String label, String opensslCommand) {
    return invalid(
        "the "
            + role
            + " file "
            + file
            + " contains no PEM data (no -----BEGIN "
            + label
            + "----- line). If it is DER, convert it with `openssl "
            + opensslCommand
            + " -inform der -in "
            + file
            + " -out "
            + file
            + ".pem` and configure that file");
  }

  private static String firstOtherThan(List<PemBlock> blocks, Class<? extends PemBlock> kind) {
    return blocks.stream()
        .filter(block -> !kind.isInstance(block))
        .findFirst()
        .orElseThrow()
        .description();
  }

  private static List<PemBlock> readBlocks(Path file, String role, LinkOption... links)
      throws PairdException {
    String text = readText(file, role, links);
    PemBlock canonical = CanonicalPem.block(text);
    if (canonical != null) {
      return List.of(canonical);
    }
    try {
      return PemBlocks.read(text);
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.IDENTITY_INVALID,
          "cannot read the " + role + " file " + file + ": " + e.getMessage(),
          e);
    }
  }

  private static String readText(Path file, String role, LinkOption... links)
      throws PairdException {
    if (Files.isDirectory(file, links)) {
      throw invalid(
          "the " + role + " file " + file + " is a directory; configure the PEM file in it");
    }
    // Opening a FIFO would block start-up until something wrote to it.
    if (Files.exists(file, links) && !Files.isRegularFile(file, links)) {
      throw invalid(
          "the "
              + role
              + " file "
              + file
              + " is not a regular file (a FIFO, socket"
              + " or device); configure the PEM file itself");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file, links)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw invalid(
          "the " + role + " file " + file + " does not exist; check the path configured for it");
    } catch (AccessDeniedException e) {
      throw invalid(
          "paird cannot read the "
              + role
              + " file "
              + file
              + " (permission denied); make it readable by the user paird runs as");
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.IDENTITY_INVALID,
          "cannot read the " + role + " file " + file + ": " + describe(e),
          e);
    }
    try {
      if (bytes.length > MAX_FILE_BYTES) {
        throw invalid(
            "the "
                + role
                + " file "
                + file
                + " is larger than "
                + MAX_FILE_BYTES
                + " bytes, far more than a PEM "
                + role
                + "; check the path configured for it");
      }
      // PEM is ASCII; Latin-1 maps every byte to a character, so stray bytes become a PEM error.
      return new String(bytes, StandardCharsets.ISO_8859_1);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private static PairdException invalid(String message) {
    return new PairdException(ErrorCode.IDENTITY_INVALID, message);
  }
}
