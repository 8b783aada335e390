package dev.taskbound.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A method override header naming another method is refused; one naming the request's own method passes. */
class MethodOverrideTest {
  private static RequestHead head(String method, String header) throws ProxyRequestException {
    String extra = header.isEmpty() ? "" : "\r\n" + header;
    return RequestHead.parse(method + " /repos/o/r HTTP/1.1\r\nHost: api.github.com" + extra, ByteBuffer.allocate(0));
  }

  @ParameterizedTest(name = "{0} with ''{1}'' is refused")
  @CsvSource(delimiter = '|', value = {
      "POST | X-HTTP-Method-Override: DELETE",
      "POST | X-HTTP-Method: DELETE",
      "POST | X-Method-Override: PATCH",
      "GET  | x-http-method-override: PUT",
      "POST | X-HTTP-Method-Override: delete",
      "POST | X-HTTP-Method-Override: POST, DELETE",
      "POST | X_HTTP_Method_Override: DELETE",
      "POST | X_Method_Override: DELETE",
      "POST | x_http-METHOD: PUT",
  })
  void anOverrideNamingAnotherMethodIsRefused(String method, String header) throws Exception {
    // given a request whose override header names another method than its own
    RequestHead h = head(method, header);

    // when it is checked, then it is refused with a 403 naming the header, recorded as a denial
    assertThatThrownBy(() -> MethodOverride.check(h)).isInstanceOfSatisfying(ProxyRequestException.class, e -> {
      assertThat(e.status()).isEqualTo(403);
      assertThat(e.getMessage()).containsIgnoringCase(header.substring(0, header.indexOf(':')))
          .contains("accepted: no method override header");
      assertThat(e.event()).isEqualTo(GatewayEvents.MALFORMED);
      assertThat(e.evidence()).contains("method override header").doesNotContain("DELETE");
    });
  }

  @ParameterizedTest(name = "{0} with ''{1}'' passes")
  @CsvSource(delimiter = '|', value = {
      "POST  | ''",
      "POST  | X-HTTP-Method-Override: POST",
      "DELETE| X-HTTP-Method: DELETE",
      "GET   | X-Method-Override:  GET ",
      "POST  | X-Requested-With: XMLHttpRequest",
  })
  void noOverrideOrOneNamingTheSameMethodPasses(String method, String header) throws Exception {
    RequestHead h = head(method.strip(), header);

    assertThatCode(() -> MethodOverride.check(h)).doesNotThrowAnyException();
  }

  @org.junit.jupiter.api.Test
  void twoOverrideHeadersWithDifferentValuesAreRefusedEvenIfOneNamesTheRequestsMethod() throws Exception {
    // given a POST carrying the override twice, once as POST and once (underscored) as DELETE
    RequestHead h = head("POST", "X-HTTP-Method-Override: POST\r\nX_HTTP_Method_Override: DELETE");

    // when it is checked, then it is refused naming the second
    assertThatThrownBy(() -> MethodOverride.check(h)).isInstanceOfSatisfying(ProxyRequestException.class,
        e -> assertThat(e.getMessage()).contains("X_HTTP_Method_Override: DELETE"));
  }

  private static RequestHead target(String method, String target, String header) throws ProxyRequestException {
    String extra = header.isEmpty() ? "" : "\r\n" + header;
    return RequestHead.parse(method + " " + target + " HTTP/1.1\r\nHost: example.test" + extra, ByteBuffer.allocate(0));
  }

  @ParameterizedTest(name = "{0} {1} is refused")
  @CsvSource(delimiter = '|', value = {
      "POST | /items/1?_method=DELETE",
      "POST | /items/1?a=1&_method=delete",
      "POST | /items/1?a=1;_method=PUT",
      "POST | /items/1?%5Fmethod=DELETE",
      "POST | /items/1?_METHOD=PATCH",
      "POST | /items/1?_method[]=DELETE",
      "GET  | /items/1?_method=DELETE",
      "POST | /items/1?_method=POST%2C+DELETE",
  })
  void aMethodParameterInTheQueryNamingAnotherMethodIsRefused(String method, String t) throws Exception {
    // given a request whose query carries a _method naming another method than its own
    RequestHead h = target(method.strip(), t.strip(), "");

    // when it is checked, then it is refused with a 403 naming the parameter, recorded as a denial
    assertThatThrownBy(() -> MethodOverride.check(h)).isInstanceOfSatisfying(ProxyRequestException.class, e -> {
      assertThat(e.status()).isEqualTo(403);
      assertThat(e.getMessage()).contains("_method=").contains("in its query").contains("accepted: no method override");
      assertThat(e.event()).isEqualTo(GatewayEvents.MALFORMED);
      assertThat(e.evidence()).contains("_method parameter in its query").doesNotContain("DELETE");
    });
  }

  @ParameterizedTest(name = "{0} {1} passes")
  @CsvSource(delimiter = '|', value = {
      "POST  | /items/1?_method=POST",
      "DELETE| /items/1?_method=DELETE",
      "POST  | /items/1?method=DELETE",
      "POST  | /items/1?a=_method",
      "POST  | /items/1?x_method=DELETE",
  })
  void aQueryWithoutAMethodParameterForAnotherMethodPasses(String method, String t) throws Exception {
    RequestHead h = target(method.strip(), t.strip(), "");

    assertThatCode(() -> MethodOverride.check(h)).doesNotThrowAnyException();
  }

  @ParameterizedTest(name = "{0} with ''{1}'' and body ''{2}'' is refused")
  @CsvSource(delimiter = '|', value = {
      "POST | Content-Type: application/x-www-form-urlencoded | a=1&_method=delete",
      "POST | Content-Type: Application/X-WWW-Form-Urlencoded; charset=utf-8 | %5fmethod=PUT",
      "POST | ''                                              | _method=DELETE",
      "POST | Content-Type: multipart/form-data; boundary=b    | --b\\r\\nContent-Disposition: form-data; name=\"_METHOD\"\\r\\n\\r\\nPOST",
  })
  void aMethodFieldInAFormBodyNamingAnotherMethodIsRefused(String method, String header, String body) throws Exception {
    // given a request whose body a server may read as a form, with a _method field
    RequestHead h = target(method.strip(), "/items/1", header.strip());
    assertThat(MethodOverride.mayBeForm(h)).isTrue();

    // when its body is checked, then it is refused naming the field
    byte[] bytes = body.replace("\\r\\n", "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1); // the table spells CRLF escaped
    assertThatThrownBy(() -> MethodOverride.checkForm(h, bytes))
        .isInstanceOfSatisfying(ProxyRequestException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.getMessage()).contains("_method");
          assertThat(e.evidence()).contains("_method").doesNotContain("DELETE");
        });
  }

  @ParameterizedTest(name = "{0} with ''{1}'' and body ''{2}'' passes")
  @CsvSource(delimiter = '|', value = {
      "POST | Content-Type: application/x-www-form-urlencoded | a=1&b=_method",
      "POST | Content-Type: application/x-www-form-urlencoded | _method=POST",
      "POST | ''                                              | title=hello",
  })
  void aFormBodyWithoutAMethodFieldForAnotherMethodPasses(String method, String header, String body) throws Exception {
    RequestHead h = target(method.strip(), "/items/1", header.strip());

    assertThatCode(() -> MethodOverride.checkForm(h, body.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)))
        .doesNotThrowAnyException();
  }

  @ParameterizedTest(name = "''{0}'' is not read as a form")
  @CsvSource(delimiter = '|', value = {
      "Content-Type: application/json",
      "Content-Type: application/x-git-receive-pack-request",
      "Content-Type: text/plain",
  })
  void aBodyOfAnotherTypeIsNotReadAsAForm(String header) throws Exception {
    assertThat(MethodOverride.mayBeForm(target("POST", "/items/1", header))).isFalse();
  }

  @ParameterizedTest(name = "{0} with ''{1}'' is not read as a form")
  @CsvSource(delimiter = '|', value = {
      "PUT   | ''",
      "PUT   | Content-Type: application/x-www-form-urlencoded",
      "PATCH | ''",
  })
  void onlyAPostsBodyIsReadAsAFormThatCouldOverrideItsMethod(String method, String header) throws Exception {
    // servers read _method from a body only on a POST: a PUT upload without a type is not read whole for it
    assertThat(MethodOverride.mayBeForm(target(method.strip(), "/repo/a.jar", header.strip()))).isFalse();
  }
}
