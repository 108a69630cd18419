// The demo school: its school file and a roster with two classes, their courses, four teachers and a dozen students.
import type { SchoolFile } from "@schulhof/homeserver-config";

/** The school file `schulhof init --demo` writes. */
export function demoSchoolFile(): SchoolFile {
  return {
    school: {
      id: "demo",
      name: "Demo-Gesamtschule Am Lindenhof",
      state: "NI",
      timezone: "Europe/Berlin",
      mail_domain: "lindenhof.schulhof.test",
      language: "de",
    },
    homeserver: {
      server_name: "lindenhof.schulhof.test",
      public_baseurl: "http://127.0.0.1:8008",
      bind: "127.0.0.1",
      port: 8008,
      database: { kind: "sqlite" },
      bcrypt_rounds: 12,
      federation_allowlist: [],
      max_upload_size_mb: 100,
      user_directory: "school",
      announce_new_devices: false,
    },
    appservices: {
      school: { port: 9100, bind: "127.0.0.1", enabled: true },
      homework: { port: 9101, bind: "127.0.0.1", enabled: true },
      calendar: { port: 9102, bind: "127.0.0.1", enabled: true },
      mail: { port: 9103, bind: "127.0.0.1", enabled: true },
    },
    calendar: {},
    roster: { max_deactivate_share: 0.2 },
    mail: {
      smtp_bind: "127.0.0.1",
      smtp_port: 2525,
      relay: { host: "127.0.0.1", port: 2526, secure: false, require_tls: false },
      dkim_selector: "schulhof",
      policy: {},
      // No DNS in the demo: every SPF/DKIM/DMARC lookup answers "no record".
      dns: {},
      demo_outbox: true,
    },
    database: { kind: "pglite", path: "db" },
    video: { livekit_url: "ws://127.0.0.1:7880", token_service_url: "http://127.0.0.1:8070" },
    district: { share_directory: false },
    web: { bind: "127.0.0.1", port: 8080 },
  };
}

/** The demo roster as a school office would export it (semicolon, UTF-8). */
export const DEMO_ROSTER = `Rolle;Vorname;Nachname;Klasse;Kurse;E-Mail
Admin;Birgit;Schäfer;;;sekretariat@lindenhof.schulhof.test
Lehrer;Jürgen;Müller;7a;Mathematik 7a|Physik 7a|Mathematik 7b;
Lehrer;Özlem;Yılmaz;7b;Deutsch 7a|Deutsch 7b|Religion 7;
Lehrer;Hans-Peter;Weiß;;Englisch 7a|Englisch 7b;
Lehrer;Françoise;Dubois;;Französisch 7|Physik 7b;
Schüler;Lena;Köhler;7a;Mathematik 7a|Deutsch 7a|Englisch 7a|Physik 7a|Französisch 7;
Schüler;Jonas;Groß;7a;Mathematik 7a|Deutsch 7a|Englisch 7a|Physik 7a|Religion 7;
Schüler;Mia;Böhm;7a;Mathematik 7a|Deutsch 7a|Englisch 7a|Physik 7a|Französisch 7;
Schüler;Lukas;Jäger;7a;Mathematik 7a|Deutsch 7a|Englisch 7a|Physik 7a|Religion 7;
Schüler;Sören;Brück;7a;Mathematik 7a|Deutsch 7a|Englisch 7a|Physik 7a|Religion 7;
Schüler;Ayşe;Demir;7a;Mathematik 7a|Deutsch 7a|Englisch 7a|Physik 7a|Französisch 7;
Schüler;Emilia;Krüger;7b;Mathematik 7b|Deutsch 7b|Englisch 7b|Physik 7b|Französisch 7;
Schüler;Noah;Schröder;7b;Mathematik 7b|Deutsch 7b|Englisch 7b|Physik 7b|Religion 7;
Schüler;Hannah;Wöhler;7b;Mathematik 7b|Deutsch 7b|Englisch 7b|Physik 7b|Französisch 7;
Schüler;Elias;Sänger;7b;Mathematik 7b|Deutsch 7b|Englisch 7b|Physik 7b|Religion 7;
Schüler;Zoë;Lüders;7b;Mathematik 7b|Deutsch 7b|Englisch 7b|Physik 7b|Französisch 7;
Schüler;Maximilian;Fußmann;7b;Mathematik 7b|Deutsch 7b|Englisch 7b|Physik 7b|Religion 7;
`;
