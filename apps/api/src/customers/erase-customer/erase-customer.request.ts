/** `POST /v1/customers/:id/erase` takes an empty body (`{}`): the global pipe refuses any field. */
export class EraseCustomerRequest {}
