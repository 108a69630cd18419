// Public surface of the mail bridge's addresses: people, groups, reserved names, puppets, parsing.
export {
  AddressBook,
  DEFAULT_GROUP_SENDERS,
  GROUP_PREFIXES,
  MailAddressError,
  RESERVED_LOCALPARTS,
  TEACHERS_LOCALPART,
  addressOf,
  baseLocalpart,
  groupAddress,
  isReservedLocalpart,
  isValidDomain,
  parseAddress,
  type AddressBookInput,
  type AddressProblem,
  type BookGroup,
  type BookPerson,
  type GroupKind,
  type GroupSenders,
  type PersonRole,
  type Resolved,
} from "./addresses.ts";
export { DEFAULT_MAX_PUPPET_LOCALPART, PUPPET_PREFIX, isPuppet, normalizeExternal, puppetAddress, puppetLocalpart } from "./puppet.ts";
export { namePart, transliterate } from "./slug.ts";
