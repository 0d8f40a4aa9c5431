package dev.paird.api;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * The operating system's reason for a failed file operation, worded for a person. The JDK's
 * exceptions for the commonest failures carry only the path, so a message built from {@code
 * getMessage()} reads "cannot lock /var/lib/paird/paird.lock: /var/lib/paird/paird.lock".
 */
public final class FileProblems {
  private FileProblems() {}

  /**
   * Why {@code e} happened, such as "permission denied" or "not a directory", for a message that
   * already names {@code about}. When the failure concerns another file (a parent directory, the
   * target of a rename) that file is named too.
   */
  public static String reason(IOException e, Path about) {
    String reason = reason(e);
    if (e instanceof FileSystemException fileSystem
        && fileSystem.getFile() != null
        && !fileSystem.getFile().equals(String.valueOf(about))) {
      return fileSystem.getFile() + ": " + reason;
    }
    return reason;
  }

  /** Why {@code e} happened, without any path: for a message that names the file already. */
  public static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "it already exists";
    }
    if (e instanceof NotDirectoryException) {
      return "not a directory";
    }
    if (e instanceof FileSystemException fileSystem && fileSystem.getReason() != null) {
      return fileSystem.getReason();
    }
    String message = e.getMessage();
    if (message == null) {
      return e.getClass().getSimpleName();
    }
    int open = message.lastIndexOf(" (");
    if (e instanceof FileNotFoundException && open >= 0 && message.endsWith(")")) {
      // java.io writes "PATH (REASON)".
      return message.substring(open + 2, message.length() - 1);
    }
    return message;
  }
}
