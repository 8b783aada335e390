package dev.taskbound.core.clients;

import java.io.InputStream;
import java.net.URL;

/**
 * A "plain" Java tool packed as a jar by the tests and run with {@code java -jar}: fetches a URL
 * with {@code URL.openStream()} (the classic {@code HttpsURLConnection}), so the only proxy it can
 * know of is the one in the {@code http(s).proxyHost} properties from {@code JAVA_TOOL_OPTIONS}.
 */
public final class UrlFetchMain {
  private UrlFetchMain() {}

  public static void main(String[] args) throws Exception {
    try (InputStream in = new URL(args[0]).openStream()) {
      System.out.write(in.readAllBytes());
      System.out.flush();
    }
  }
}
